#!/usr/bin/env python3
"""Benchmark suite: runs each workload natively, under qemu-x86_64 (when installed), under
emu's interpreter (`--jit=off`) and under emu with its JIT (`--jit=on`), interleaved, and
prints median wall-clock times, the ratios of emu (with the JIT) to native and to qemu, the
interpreter's ratio to qemu, peak resident memory of each, and geometric means (over the
whole suite and over the real programs alone).

    python3 tests/bench/run.py                       # everything, release emu, 5 repetitions
    python3 tests/bench/run.py --reps 3 --json out.json
    python3 tests/bench/run.py --filter sort,lua     # workloads whose name contains any of these
    python3 tests/bench/run.py --quick --no-qemu     # 1 repetition, small sizes (smoke check)
    python3 tests/bench/run.py --no-interp           # without the --jit=off column
    python3 tests/bench/run.py --list                # the workloads and their sizes

Every run's stdout and exit status must equal the native reference run's (a warm-up run made
first), so a fast wrong answer cannot score: a mismatch marks the workload FAILED, excludes it
from the means and makes the exit status 1. Peak RSS is ru_maxrss of the child from wait4 (for
emu and qemu that is the emulator process, guest memory included). Input files are generated
deterministically into a temporary directory. Standard library only.

Exit status: 0 all workloads matched under emu, 1 some failed under emu, 2 usage error.
"""
import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNELS = os.path.join(REPO, "roms", "bin", "bench-kernels")
SPAWN = os.path.join(REPO, "roms", "bin", "bench-spawn")
# A small fixed environment so outputs do not depend on who runs the suite.
ENV = {"HOME": "/tmp", "LC_ALL": "C", "PATH": "/usr/bin:/bin", "TZ": "UTC", "PYTHONHASHSEED": "0"}

PY_LOOP = """
def f(n):
    d = {}
    s = 0
    for i in range(n):
        s = (s * 31 + i) %% 1000003
        d[i %% 1000] = d.get(i %% 1000, 0) + s
    return s, sum(d.values())
print(f(%d))
"""
SQL_CTE = ("WITH RECURSIVE c(x, y) AS (SELECT 1, 1 UNION ALL "
           "SELECT x + 1, (y * 31 + x) %% 1000003 FROM c WHERE x < %d) "
           "SELECT count(*), sum(y), max(y) FROM c;")
LUA_FIB = ("local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end "
           "print(fib(%d))")
PERL_RE = (r'$w++ while /\b\w+ing\b/g; $n += () = /\b[0-9]+\b/g; $l++ if /^(\w+) .*\b\1\b/; '
           r'END { print "$w $n $l\n" }')
AWK_LOOP = "BEGIN { s = 0; for (i = 0; i < %d; i++) s = (s * 7 + i) %% 1000003; print s }"


@dataclasses.dataclass
class Workload:
    name: str
    group: str  # program, kernel, startup
    # argv from the size n, the data directory d and the --scale factor already applied to n.
    argv: object
    full: int  # size of a normal run
    quick: int  # size under --quick
    unit: str  # what the size counts, for --list
    inner: int = 1  # launches per repetition (start-up latency: time per launch is reported)
    quick_inner: int = 1


def text_file(d, n):
    return os.path.join(d, f"text-{n}.txt")


def rand_file(d, n):
    return os.path.join(d, f"rand-{n}.bin")


def kernel(mode, full, quick, unit):
    return Workload(mode, "kernel", lambda n, d: [KERNELS, mode, str(n)], full, quick, unit)


# Sized so that a native run takes roughly 0.1-1 s on this 2-core machine; emu is far
# slower than that today, and the whole suite with --reps 3 must stay under ~15 minutes.
# --scale multiplies every size when emu gets faster.
WORKLOADS = [
    Workload("python-loop", "program", lambda n, d: ["/usr/bin/python3", "-c", PY_LOOP % n],
             100_000, 2_000, "loop iterations"),
    Workload("sqlite-cte", "program", lambda n, d: ["/usr/bin/sqlite3", ":memory:", SQL_CTE % n],
             80_000, 2_000, "rows of a recursive CTE"),
    Workload("xz", "program", lambda n, d: ["/usr/bin/xz", "-c", "-T1", "-6", text_file(d, n)],
             256 << 10, 16 << 10, "bytes of text compressed"),
    Workload("gzip", "program", lambda n, d: ["/bin/gzip", "-c", "-6", "-n", text_file(d, n)],
             4 << 20, 64 << 10, "bytes of text compressed"),
    Workload("sha256sum", "program", lambda n, d: ["/usr/bin/sha256sum", rand_file(d, n)],
             8 << 20, 256 << 10, "bytes hashed"),
    Workload("lua-fib", "program", lambda n, d: ["/usr/bin/lua5.4", "-e", LUA_FIB % n],
             29, 18, "fib(n), recursive"),
    Workload("perl-regex", "program",
             lambda n, d: ["/usr/bin/perl", "-ne", PERL_RE, text_file(d, n)],
             1 << 20, 32 << 10, "bytes of text scanned"),
    Workload("busybox-awk", "program", lambda n, d: ["/bin/busybox", "awk", AWK_LOOP % n],
             70_000, 2_000, "loop iterations"),
    kernel("sort", 2_000_000, 20_000, "32-bit integers quicksorted"),
    kernel("hash", 1_000_000, 10_000, "hash-table inserts (and 2x lookups)"),
    kernel("crc32", 40, 1, "MiB of CRC-32"),
    kernel("matmul", 400, 40, "N x N integer matrix product"),
    kernel("nbody", 500_000, 5_000, "n-body steps (SSE2 double)"),
    kernel("spectral", 1000, 50, "N of the spectral norm (SSE2 double)"),
    kernel("x87", 1_500_000, 20_000, "iterations of a long double series"),
    kernel("memcpy", 8, 1, "memcpy of 64 MiB"),
    kernel("memset", 16, 1, "memset of 64 MiB"),
    kernel("syscall", 200_000, 2_000, "64-byte pipe write+read round trips"),
    Workload("start-true", "startup", lambda n, d: ["/bin/true"], 1, 1, "(fixed)", 20, 2),
    Workload("start-python", "startup", lambda n, d: ["/usr/bin/python3", "-c", "pass"], 1, 1,
             "(fixed)", 5, 1),
]


def make_data(d, workloads, sizes):
    """Writes the input files the selected workloads read: pseudo-random words (compressible
    like text) and random bytes, from fixed seeds."""
    texts = [sizes[w.name] for w in workloads if w.name in ("xz", "gzip", "perl-regex")]
    if texts:
        rnd = random.Random(8)
        letters = "etaoinshrdlucmfwypvbgkqjxz"
        vocab = ["".join(rnd.choices(letters, weights=range(26, 0, -1), k=rnd.randint(2, 10)))
                 for _ in range(3000)]
        vocab += ["running", "testing", "emulating", "1234", "2026", "foo", "bar"]
        need = max(texts)
        words = rnd.choices(vocab, k=need // 5 + 1000)
        text = "\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12)).encode()
        while len(text) < need:
            text += text
        for n in texts:
            # Cut at a line end so every file is whole lines.
            cut = text.rfind(b"\n", 0, n) + 1 or n
            with open(text_file(d, n), "wb") as f:
                f.write(text[:cut])
    for w in workloads:
        if w.name == "sha256sum":
            with open(rand_file(d, sizes[w.name]), "wb") as f:
                f.write(random.Random(9).randbytes(sizes[w.name]))


@dataclasses.dataclass
class Run:
    seconds: float
    rss_kib: int
    status: int  # as subprocess reports it: exit code, or -signal
    digest: str  # sha256 of stdout
    stdout_head: bytes
    stderr_tail: str


def run_once(argv, cwd, timeout):
    """One run through bench-spawn, which forks from a small process so ru_maxrss is the
    program's own (see roms/src/bench_spawn.c) and times fork to wait4."""
    out_path, err_path = os.path.join(cwd, ".stdout"), os.path.join(cwd, ".stderr")
    res_path = os.path.join(cwd, ".result")
    if os.path.exists(res_path):
        os.unlink(res_path)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen([SPAWN, res_path] + argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=err, env=ENV, cwd=cwd, start_new_session=True)
        try:
            p.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the launcher and the program
            p.wait()
            timed_out = True
    h = hashlib.sha256()
    with open(out_path, "rb") as f:
        head = f.read(4096)
        h.update(head)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    with open(err_path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
        err_tail = f.read().decode("utf-8", "replace")
    if timed_out:
        return Run(timeout, 0, -signal.SIGKILL, h.hexdigest(), head,
                   err_tail + f"\n(killed after the {timeout:.0f} s timeout)")
    try:
        with open(res_path) as f:
            wstatus, rss_kib, ns = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        sys.exit(f"run.py: {SPAWN} gave no result (status {p.returncode}): {last_line(err_tail)}")
    return Run(ns / 1e9, rss_kib, os.waitstatus_to_exitcode(wstatus), h.hexdigest(), head,
               err_tail)


def mismatch(ref, got):
    """Why got differs from the reference run, or None."""
    if got.status != ref.status:
        return f"exit status {got.status}, native {ref.status}"
    if got.digest != ref.digest:
        a, b = ref.stdout_head, got.stdout_head
        i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        return (f"stdout differs from byte {i}: native {a[i:i + 60]!r}, got {b[i:i + 60]!r}"
                if i < 4096 else "stdout differs after its first 4 KiB")
    return None


def last_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no stderr)"


@dataclasses.dataclass
class Result:
    workload: Workload
    size: int
    argv: list
    runs: dict  # runner -> [(seconds per launch, peak rss KiB)]
    failed: dict  # runner -> reason
    skipped: str = ""

    def median(self, runner):
        r = self.runs.get(runner)
        return statistics.median(t for t, _ in r) if r and runner not in self.failed else None

    def rss(self, runner):
        r = self.runs.get(runner)
        return max(m for _, m in r) if r and runner not in self.failed else None


def measure(w, size, inner, data, runners, reps, timeout, log):
    argv = w.argv(size, data)
    res = Result(w, size, argv, {name: [] for name in runners}, {})
    if not os.path.exists(argv[0]):
        res.skipped = f"{argv[0]} is absent"
        return res
    ref = run_once(argv, data, timeout)  # warm-up, and the reference output
    if ref.status != 0:
        res.skipped = f"native run failed (status {ref.status}): {last_line(ref.stderr_tail)}"
        return res
    for rep in range(reps):
        for name, prefix in runners.items():  # interleaved: native, qemu, emu, native, ...
            if name in res.failed:
                continue
            total, peak = 0.0, 0
            for _ in range(inner):
                r = run_once(prefix + argv, data, timeout)
                why = mismatch(ref, r)
                if why:
                    res.failed[name] = f"{why}; stderr: {last_line(r.stderr_tail)}"
                    if name == "native":
                        res.failed[name] = "native output not reproducible: " + why
                    break
                total += r.seconds
                peak = max(peak, r.rss_kib)
            if name in res.failed:
                log(f"  {w.name}: {name} FAILED: {res.failed[name]}")
                continue
            res.runs[name].append((total / inner, peak))
            log(f"  {w.name} rep {rep + 1}/{reps} {name}: {fmt_time(total / inner)}"
                f" {peak / 1024:.1f} MiB")
    return res


def fmt_time(s):
    if s is None:
        return "-"
    return f"{s * 1000:.1f}ms" if s < 1 else f"{s:.2f}s"


def fmt_ratio(a, b):
    return f"{a / b:.1f}x" if a is not None and b else "-"


def fmt_mib(k):
    return f"{k / 1024:.0f}" if k is not None else "-"


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def rss_bound_kib(native_kib):
    """The issue's bound on emu's memory: at most 2x native + 64 MiB."""
    return 2 * native_kib + 64 * 1024


def report(results, runners, out):
    head = ["workload", "native", "qemu", "emu-int", "emu-jit", "jit/nat", "jit/qemu", "int/qemu",
            "qemu/nat", "RSS MiB nat", "qemu", "jit", "status"]
    rows = []
    failures = []
    for r in results:
        n, q, e, i = r.median("native"), r.median("qemu"), r.median("emu"), r.median("interp")
        if r.skipped:
            status = "SKIPPED: " + r.skipped
        elif "native" in r.failed:
            status = "FAILED: " + r.failed["native"]
            failures.append(r)
        elif "emu" in r.failed or "interp" in r.failed:
            status = "FAILED under emu" + (" --jit=off" if "interp" in r.failed else "")
            failures.append(r)
        else:
            status = "ok"
            if r.rss("emu") is not None and r.rss("emu") > rss_bound_kib(r.rss("native")):
                status = "ok, RSS over 2x native + 64 MiB"
        if "qemu" in r.failed:
            status += " (qemu failed)"
        cell = {k: "FAILED" if k in r.failed else fmt_time(r.median(k)) for k in runners}
        rows.append([r.workload.name, cell["native"], cell.get("qemu", "-"), cell.get("interp", "-"),
                     cell["emu"], fmt_ratio(e, n), fmt_ratio(e, q), fmt_ratio(i, q), fmt_ratio(q, n),
                     fmt_mib(r.rss("native")), fmt_mib(r.rss("qemu")), fmt_mib(r.rss("emu")),
                     status])
    ok = [r for r in results if not r.skipped and not r.failed.get("native")
          and not r.failed.get("emu") and not r.failed.get("interp")]
    programs = [r for r in ok if r.workload.group == "program"]
    gm = {
        "emu/native": geomean([r.median("emu") / r.median("native") for r in ok]),
        "emu/qemu": geomean([r.median("emu") / r.median("qemu") for r in ok
                             if r.median("qemu")]),
        "interp/qemu": geomean([r.median("interp") / r.median("qemu") for r in ok
                                if r.median("qemu") and r.median("interp")]),
        "qemu/native": geomean([r.median("qemu") / r.median("native") for r in results
                                if r.median("qemu") and r.median("native")]),
        "programs emu/native": geomean([r.median("emu") / r.median("native") for r in programs]),
        "programs emu/qemu": geomean([r.median("emu") / r.median("qemu") for r in programs
                                      if r.median("qemu")]),
        "programs interp/qemu": geomean([r.median("interp") / r.median("qemu") for r in programs
                                         if r.median("qemu") and r.median("interp")]),
    }
    n_q = sum(1 for r in ok if r.median("qemu"))
    rows.append(["geomean", "", "", "", "", fmt_gm(gm["emu/native"]), fmt_gm(gm["emu/qemu"]),
                 fmt_gm(gm["interp/qemu"]), fmt_gm(gm["qemu/native"]), "", "", "",
                 f"{len(ok)} workloads (emu/qemu over {n_q})"])
    rows.append(["programs", "", "", "", "", fmt_gm(gm["programs emu/native"]),
                 fmt_gm(gm["programs emu/qemu"]), fmt_gm(gm["programs interp/qemu"]), "", "", "",
                 "", f"{len(programs)} real programs"])
    widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head) - 1)]
    lines = []
    for row in [head] + rows:
        cells = [str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                 for i, c in enumerate(row[:-1])]
        lines.append("  ".join(cells) + "  " + row[-1])
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 2, "-" * len(lines[0]))
    print("\n".join(lines), file=out)
    print("Times are medians per run (start-up workloads: per launch); ratios are of medians; "
          "RSS is the largest ru_maxrss of any run. emu-int is emu --jit=off, emu-jit emu "
          "--jit=on.", file=out)
    for r in failures:
        why = r.failed.get("native") or r.failed.get("emu") or r.failed.get("interp")
        print(f"!!! FAILED {r.workload.name}: {why}\n    argv: {r.argv}", file=out)
    for r in results:
        if "qemu" in r.failed:
            print(f"note: {r.workload.name} under qemu: {r.failed['qemu']}", file=out)
    if failures:
        print(f"!!! {len(failures)} workload(s) FAILED and are excluded from the means", file=out)
    return gm, failures


def fmt_gm(x):
    return f"{x:.1f}x" if x else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emu", default=os.path.join(REPO, "target", "release", "emu"),
                    help="the emulator to measure (default: target/release/emu)")
    ap.add_argument("--qemu", default="qemu-x86_64", help="qemu-user binary (default qemu-x86_64)")
    ap.add_argument("--no-qemu", action="store_true", help="do not run under qemu")
    ap.add_argument("--no-interp", action="store_true",
                    help="do not run emu's interpreter alone (the --jit=off column)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions (default 5)")
    ap.add_argument("--filter", help="comma-separated substrings: run the workloads whose "
                                     "name contains any of them")
    ap.add_argument("--quick", action="store_true",
                    help="1 repetition, small sizes (a smoke check)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every workload size by this (not start-up or fib)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args()

    selected = WORKLOADS
    if args.filter:
        keys = [k for k in args.filter.split(",") if k]
        selected = [w for w in WORKLOADS if any(k in w.name for k in keys)]
        if not selected:
            ap.error(f"--filter {args.filter!r} matches no workload "
                     f"({', '.join(w.name for w in WORKLOADS)})")
    if args.reps < 1 or args.scale <= 0:
        ap.error("--reps must be at least 1 and --scale positive")
    reps = 1 if args.quick else args.reps

    def size_of(w):
        if args.quick:
            return w.quick
        if w.group == "startup" or w.name == "lua-fib":  # fib grows 1.6x per step
            return w.full + (round(math.log(args.scale, 1.618)) if w.name == "lua-fib" else 0)
        return max(1, round(w.full * args.scale))

    sizes = {w.name: size_of(w) for w in selected}
    if args.list:
        for w in selected:
            print(f"{w.name:14} {w.group:8} size {sizes[w.name]:>10} {w.unit}"
                  + (f", {w.quick_inner if args.quick else w.inner} launches per repetition"
                     if w.group == "startup" else ""))
        return 0

    if not os.access(SPAWN, os.X_OK):
        ap.error(f"{SPAWN} is missing (roms/build.sh builds it)")
    emu = os.path.abspath(args.emu)
    if not os.access(emu, os.X_OK):
        ap.error(f"no emulator at {emu} (build it: cargo build --release)")
    runners = {"native": []}
    qemu = None if args.no_qemu else shutil.which(args.qemu)
    if qemu:
        runners["qemu"] = [qemu]
    elif not args.no_qemu:
        print(f"note: {args.qemu} not found, measuring without qemu", file=sys.stderr)
    if not args.no_interp:
        runners["interp"] = [emu, "--jit=off"]
    runners["emu"] = [emu, "--jit=on"]

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    data = tempfile.mkdtemp(prefix="emu-bench-")
    try:
        t0 = time.time()
        make_data(data, selected, sizes)
        log(f"inputs generated in {data} ({time.time() - t0:.1f}s); runners: "
            + ", ".join(f"{k} {' '.join(v) or '(direct)'}" for k, v in runners.items()))
        results = []
        for w in selected:
            inner = w.quick_inner if args.quick else w.inner
            results.append(measure(w, sizes[w.name], inner, data, runners, reps, args.timeout, log))
            if results[-1].skipped:
                log(f"  {w.name}: SKIPPED: {results[-1].skipped}")
    finally:
        shutil.rmtree(data, ignore_errors=True)

    print(f"emu {emu} | {'qemu ' + qemu if qemu else 'no qemu'} | {reps} repetition(s)"
          f"{' (quick sizes)' if args.quick else ''} | {platform.node()} {os.cpu_count()} cpus"
          f" | load {os.getloadavg()[0]:.1f} | {time.time() - t0:.0f}s")
    gm, failures = report(results, runners, sys.stdout)
    if args.json:
        doc = {
            "emu": emu, "qemu": qemu, "reps": reps, "quick": args.quick, "scale": args.scale,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": platform.node(),
            "geomean": gm,
            "workloads": [{
                "name": r.workload.name, "group": r.workload.group, "size": r.size,
                "unit": r.workload.unit, "argv": r.argv, "skipped": r.skipped or None,
                "failed": r.failed,
                "runs": {k: [{"seconds": t, "rss_kib": m} for t, m in v]
                         for k, v in r.runs.items()},
                "median_seconds": {k: r.median(k) for k in runners},
                "peak_rss_kib": {k: r.rss(k) for k in runners},
            } for r in results],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
