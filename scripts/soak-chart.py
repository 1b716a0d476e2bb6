"""Draw the soak run's CSV (scripts/soak.py) as one PNG of five panels over time: the server's
memory, its open files and threads, latency percentiles, p95 latency by operation, and requests
and errors per interval. The steady-size phase (nothing added) is shaded."""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source, target):
    with open(source) as f:
        rows = list(csv.DictReader(f))
    t = [float(r["minute"]) for r in rows]
    col = lambda name: [float(r[name]) for r in rows]
    fig, axes = plt.subplots(5, 1, figsize=(9, 12), sharex=True)
    axes[0].plot(t, col("anon_mb"), color="tab:blue", label="heap (anonymous RSS)")
    axes[0].plot(t, col("file_mb"), color="tab:cyan", label="mapped database pages")
    axes[0].set_ylabel("memory (MB)")
    axes[0].legend(loc="upper left")
    axes[0].set_ylim(bottom=0)
    axes[1].plot(t, col("fds"), label="open files", color="tab:green")
    axes[1].plot(t, col("threads"), label="threads", color="tab:olive")
    axes[1].set_ylim(bottom=0)
    axes[1].legend(loc="lower right")
    for name, colour in [("p50_ms", "tab:blue"), ("p95_ms", "tab:orange"), ("p99_ms", "tab:red")]:
        axes[2].plot(t, col(name), label=name.replace("_ms", ""), color=colour)
    axes[2].set_ylabel("latency (ms)")
    axes[2].set_ylim(bottom=0)
    axes[2].legend(loc="upper right")
    for name in [k for k in rows[0] if k.startswith("p95_") and k != "p95_ms"]:
        axes[3].plot(t, col(name), label=name.removeprefix("p95_").removesuffix("_ms"))
    axes[3].set_yscale("log")
    axes[3].set_ylabel("p95 by operation (ms)")
    axes[3].legend(loc="upper left", ncol=4, fontsize="small")
    steady = [x for x, r in zip(t, rows) if r.get("steady") == "1"]
    if steady:
        for ax in axes:
            ax.axvspan(steady[0] - (t[1] - t[0] if len(t) > 1 else 0), t[-1], color="0.92", zorder=0)
        axes[0].text(steady[0], axes[0].get_ylim()[1] * 0.9, " size held", va="top", fontsize="small")
    axes[4].bar(t, col("requests"), width=(t[1] - t[0]) * 0.8 if len(t) > 1 else 0.4, color="tab:gray", label="requests")
    axes[4].bar(t, col("errors"), width=(t[1] - t[0]) * 0.8 if len(t) > 1 else 0.4, color="tab:red", label="errors")
    axes[4].set_ylabel("per interval")
    axes[4].set_xlabel("minutes")
    axes[4].legend(loc="lower right")
    fig.suptitle("liuhen soak run: mixed workload against the release binary")
    fig.tight_layout()
    fig.savefig(target, dpi=90)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
