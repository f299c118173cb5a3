"""Build a small expression, backpropagate, and print every gradient.

Run: python examples/quickstart.py
"""

from micrograd_like import Value, grad, gradcheck


def main() -> None:
    # A neuron by hand: out = tanh(x1*w1 + x2*w2 + b)
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"

    out.backward()
    print(f"out = tanh(x1*w1 + x2*w2 + b) = {out.data:.6f}")
    print(f"{'value':<6} {'data':>10} {'d out / d value':>16}")
    for v in (x1, x2, w1, w2, b):
        print(f"{v.label:<6} {v.data:>10.4f} {v.grad:>16.6f}")

    # The same derivatives without touching .grad, and a second derivative.
    (d_w1,) = grad(out, [w1], create_graph=True)
    (d2_w1,) = grad(d_w1, [w1])
    print(f"d out / d w1 = {d_w1.data:.6f}, d2 out / d w1^2 = {d2_w1:.6f}")

    # Prove them against finite differences.
    def neuron(x1, x2, w1, w2, b):
        return (x1 * w1 + x2 * w2 + b).tanh()

    ok = gradcheck(neuron, [2.0, 0.0, -3.0, 1.0, 6.8813735870195432], order=2)
    print(f"gradcheck against central differences (1st and 2nd order): {'passed' if ok else 'failed'}")


if __name__ == "__main__":
    main()
