"""Draw the soak run's CSV (scripts/soak.py) as one PNG of four panels over time: the server's
memory, its open files and threads, latency percentiles, and requests and errors per interval."""

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
    fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
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
    axes[3].bar(t, col("requests"), width=(t[1] - t[0]) * 0.8 if len(t) > 1 else 0.4, color="tab:gray", label="requests")
    axes[3].bar(t, col("errors"), width=(t[1] - t[0]) * 0.8 if len(t) > 1 else 0.4, color="tab:red", label="errors")
    axes[3].set_ylabel("per interval")
    axes[3].set_xlabel("minutes")
    axes[3].legend(loc="lower right")
    fig.suptitle("liuhen soak run: mixed workload against the release binary")
    fig.tight_layout()
    fig.savefig(target, dpi=90)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
