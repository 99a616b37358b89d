"""
.. _example-judgement:

Pass, fail or inconclusive: one threshold, five intervals
=========================================================

Every check in raudit judges a measurement the same way (:func:`raudit.plugin.judge`): **fail** only when the whole
interval lies on the harmful side of its threshold, **pass** only when it lies wholly on the acceptable side, and
**inconclusive** when it straddles the threshold, with about how many rows would likely decide it. This example
judges five selection-rate ratios against the four-fifths rule (harmful below 0.8) with the toolkit's own functions.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from raudit.plugin import judge, ratio_interval

# favourable outcomes / rows of five groups, each against a reference group with 500 of 1,000
groups = {"A": (150, 500), "B": (480, 1000), "C": (19, 50), "D": (3800, 10000), "E": (1200, 2000)}
ref_k, ref_n = 500, 1000
rows = []
for name, (k, n) in groups.items():
    low, high = ratio_interval(k, n, ref_k, ref_n)  # Katz's log interval of the ratio of two proportions, 95 %
    ratio = (k / n) / (ref_k / ref_n)
    verdict = judge(ratio, float(low), float(high), harmful="below", fail=0.8, n=n + ref_n, what="the ratio")
    rows.append((name, ratio, float(low), float(high), verdict))
    print(f"group {name}: {verdict.status:>12}  {verdict.explained}")

# %%
# The same five judgements as a picture: the dot is the estimate, the bar its 95 % interval, the line the threshold.
colours = {"pass": "#2e7d32", "fail": "#c62828", "inconclusive": "#b26a00"}
fig, ax = plt.subplots(figsize=(7, 2.8))
for y, (_, ratio, low, high, verdict) in enumerate(rows):
    ax.plot([low, high], [y, y], color=colours[verdict.status], linewidth=3)
    ax.plot(ratio, y, "o", color=colours[verdict.status])
    ax.text(high + 0.01, y, verdict.status, va="center", fontsize=9)
ax.axvline(0.8, color="black", linestyle="--", linewidth=1)
ax.set_yticks(np.arange(len(rows)), [f"group {r[0]}" for r in rows])
ax.set_xlabel("selection-rate ratio to the reference group (threshold 0.8)")
ax.set_xlim(0.5, 1.2)
fig.tight_layout()

# %%
# Groups A and B are decided: each interval lies wholly on one side of 0.8. Group C's ratio (0.76) is below the
# threshold, but 50 rows give an interval from about 0.53 to 1.09: *inconclusive*, and the verdict says about how many
# rows (in the same proportions) would likely decide it. Group D has the same ratio and 10,000 rows, yet its reference
# group has only 1,000: the interval of a ratio is as precise as its smaller side allows, and still reaches 0.8. Group E
# receives the favourable outcome more often than the reference group: beyond the threshold in its favour is an
# advantage, never a harm. A test of parity would call C "not significant" and D "significant"; neither says whether
# the disparity is beyond the threshold, which is the question the four-fifths rule asks.
