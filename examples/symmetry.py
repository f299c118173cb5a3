"""The motivating user's network: all weights equal, so the hidden neurons never differ.

Builds a 2-3-3-2 sigmoid network with every weight and bias set to 1, trains it
with plain SGD on the user's two observations, does the same from a seeded
random start, and prints both side by side with what the numbers show. The logic lives in
``micrograd_like.symmetry`` so the ``micrograd-like symmetry`` command prints the
same numbers.

Run: python examples/symmetry.py
"""

from micrograd_like.symmetry import compare, report


def main() -> None:
    print(report(compare()))


if __name__ == "__main__":
    main()
