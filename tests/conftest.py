"""Shared pytest and Hypothesis configuration.

Three Hypothesis profiles:

* ``ci``: derandomized (the same examples on every run, so a red CI run can be
  reproduced exactly), no deadline (CI machines are shared and noisy).
* ``dev``: random examples, so local runs keep exploring new cases.
* ``thorough``: thousands of random examples per test, for an occasional deep run.

The profile is ``HYPOTHESIS_PROFILE`` if set, else ``ci`` when the ``CI``
environment variable is set, else ``dev``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
# For a maintainer's occasional deep run: HYPOTHESIS_PROFILE=thorough pytest
settings.register_profile("thorough", deadline=None, max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
