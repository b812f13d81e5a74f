#!/usr/bin/env python3
"""Differential harness: the kernel's BPF selftests, host kernel vs userbpf.

  tools/selftests/fetch.sh                      # once: source, libbpf, kload, vmlinux.h
  tools/selftests/harness.py build  [GLOB]      # clang-19 the progs (default verifier_*.c)
  tools/selftests/harness.py load   [GLOB]      # every program: host kernel (libbpf) and userbpf
  tools/selftests/harness.py summary            # write results/<ver>/summary.{json,md}
  tools/selftests/harness.py all    [GLOB]      # the three in a row

GLOB names files in tools/testing/selftests/bpf/progs/ ("verifier_*.c",
"*.c", "verifier_and.c"). Sources, objects and raw logs live in the cache
(${USERBPF_SELFTESTS_CACHE:-~/.cache/userbpf-selftests}); only the summary
is written into the repository. Everything runs under `nice -n 19`.
userbpf is the release CLI (`cargo build --release -p userbpf-cli`; the
binary is taken from $USERBPF or $CARGO_TARGET_DIR/release/userbpf).
"""
import argparse
import collections
import concurrent.futures
import fnmatch
import glob
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.environ.get("USERBPF_SELFTESTS_CACHE", os.path.expanduser("~/.cache/userbpf-selftests"))
VER = os.environ.get("LINUX_SOURCE", "linux-source-6.12").replace("linux-source-", "")
SRC = os.path.join(CACHE, "linux-source-" + VER)
ST = os.path.join(SRC, "tools/testing/selftests/bpf")
B = os.path.join(CACHE, "build-" + VER)
OBJ = os.path.join(B, "obj")  # -mcpu=v3; other flavours: obj-v4, raw-v4, compile-v4.json
RAW = os.path.join(B, "raw")
COMPILE = os.path.join(B, "compile.json")


SAMPLES = False


def flavour(mcpu, samples):
    global OBJ, RAW, COMPILE, SAMPLES
    if samples:
        SAMPLES = True
        OBJ, RAW = os.path.join(B, "obj-samples"), os.path.join(B, "raw-samples")
        COMPILE = os.path.join(B, "compile-samples.json")
        return
    if mcpu != "v3":
        OBJ, RAW = os.path.join(B, "obj-" + mcpu), os.path.join(B, "raw-" + mcpu)
        COMPILE = os.path.join(B, f"compile-{mcpu}.json")
CLANG = os.environ.get("CLANG", "clang-19")
NICE = ["nice", "-n", "19"]

# Per-file flags of the selftests' Makefile.
EXTRA = {"test_l4lb_noinline.c": ["-fno-inline"], "test_xdp_noinline.c": ["-fno-inline"]}


def sys_includes():
    out = subprocess.run([CLANG, "-v", "-E", "-"], input="", capture_output=True, text=True).stderr
    inc, on = [], False
    for l in out.splitlines():
        if l.startswith("#include <...> search starts here"):
            on = True
        elif l.startswith("End of search list"):
            on = False
        elif on:
            inc += ["-idirafter", l.strip()]
    return inc


def cflags(mcpu):
    if SAMPLES:  # samples/bpf/Makefile's rule for *.bpf.c (vmlinux.h from the host)
        return (["-g", "-O2", "--target=bpf", "-D__TARGET_ARCH_x86", "-Wno-compare-distinct-pointer-types",
                 "-I" + os.path.join(SRC, "include"), "-I" + os.path.join(SRC, "samples/bpf"),
                 "-I" + os.path.join(SRC, "tools/include"), "-I" + os.path.join(B, "include")]
                + sys_includes() + (["-mcpu=" + mcpu] if mcpu != "v3" else []))
    return (["-g", "-Wall", "-Werror", "-D__TARGET_ARCH_x86", "-mlittle-endian",
             "-I" + os.path.join(B, "include"), "-I" + ST, "-I" + os.path.join(SRC, "tools/include/uapi"),
             "-Wno-compare-distinct-pointer-types"] + sys_includes()
            + ["-DENABLE_ATOMICS_TESTS", "-O2", "--target=bpf", "-mcpu=" + mcpu])


def matches(name, pattern):
    """GLOB, or "other": every file but verifier_*.c."""
    if pattern == "other":
        return name.endswith(".c") and not name.startswith("verifier_")
    return fnmatch.fnmatch(name, pattern)


def sources(pattern):
    d = os.path.join(SRC, "samples/bpf") if SAMPLES else os.path.join(ST, "progs")
    return sorted(f for f in glob.glob(os.path.join(d, "*.c")) if matches(os.path.basename(f), pattern))


def first_error(text):
    for l in text.splitlines():
        if "error:" in l:
            return re.sub(r"^.*?error: ", "", l)
    return text.strip().splitlines()[-1] if text.strip() else ""


def build(pattern, mcpu, jobs):
    os.makedirs(OBJ, exist_ok=True)
    flags = cflags(mcpu)
    results = {}

    def one(src):
        name = os.path.basename(src)
        out = os.path.join(OBJ, name[:-2] + ".bpf.o")
        if os.path.exists(out) and os.path.getmtime(out) > os.path.getmtime(src):
            return name, None
        r = subprocess.run(NICE + [CLANG] + flags + EXTRA.get(name, []) + ["-c", src, "-o", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if os.path.exists(out):
                os.unlink(out)
            return name, first_error(r.stderr)
        return name, None

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        for name, err in ex.map(one, sources(pattern)):
            results[name] = err
            if err:
                print(f"  skip {name}: {err}", file=sys.stderr)
    path = COMPILE
    old = json.load(open(path)) if os.path.exists(path) else {}
    old.update(results)
    json.dump(old, open(path, "w"), indent=0, sort_keys=True)
    ok = sum(1 for e in results.values() if e is None)
    print(f"compiled {ok} of {len(results)} files ({len(results) - ok} skipped)", file=sys.stderr)


def userbpf_bin():
    if os.environ.get("USERBPF"):
        return os.environ["USERBPF"]
    t = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(t, "release", "userbpf")


def run_userbpf(ubpf, obj, prog, log_level, aux=()):
    t0 = time.time()
    # The object's __auxiliary programs load beside it, as kload (and the
    # selftests' test_loader) autoloads them.
    extra = [x for a in aux if a != prog for x in ("--autoload", a)]
    try:
        r = subprocess.run(NICE + [ubpf, "prog", "load", obj, "--program", prog, "--json",
                                   "--log-level", str(log_level)] + extra,
                           capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"loader_failure": "timeout (300 s)"}
    secs = time.time() - t0
    try:
        d = json.loads(r.stdout)
        d.pop("maps", None)
        d["secs"] = round(secs, 3)
        return d
    except ValueError:
        msg = (r.stderr.strip() or r.stdout.strip() or f"exit {r.returncode}").splitlines()
        msg = msg[-1].replace(obj, os.path.basename(obj)) if msg else f"exit {r.returncode}"
        return {"loader_failure": msg, "exit": r.returncode}


def load(pattern, log_level):
    os.makedirs(RAW, exist_ok=True)
    ubpf = userbpf_bin()
    if not os.path.exists(ubpf):
        sys.exit(f"no userbpf binary at {ubpf}: cargo build --release -p userbpf-cli")
    kload = os.path.join(B, "kload")
    objs = sorted(glob.glob(os.path.join(OBJ, "*.bpf.o")))
    objs = [o for o in objs if matches(os.path.basename(o)[:-6] + ".c", pattern)]
    for n, obj in enumerate(objs):
        stem = os.path.basename(obj)[:-6]
        rows = []
        try:
            r = subprocess.run(NICE + [kload, obj, "--log-level", str(log_level)],
                               capture_output=True, text=True, timeout=1200)
            klines = [json.loads(l.replace(obj, os.path.basename(obj))) for l in r.stdout.splitlines()
                      if l.startswith("{")]
        except subprocess.TimeoutExpired:
            klines = [{"stage": "open", "accepted": False, "errno": 0, "libbpf": "kload timeout"}]
        aux = [k["program"] for k in klines if k.get("auxiliary")]
        for k in klines:
            if k.get("stage") == "open":
                rows.append({"object": stem, "kernel": k})
                continue
            u = run_userbpf(ubpf, obj, k["program"], log_level, aux)
            rows.append({"object": stem, "program": k["program"], "kernel": k, "userbpf": u})
        with open(os.path.join(RAW, stem + ".jsonl"), "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        acc = sum(1 for x in rows if x.get("userbpf", {}).get("accepted") == x["kernel"].get("accepted"))
        print(f"[{n + 1}/{len(objs)}] {stem}: {len(rows)} programs, {acc} same verdict", file=sys.stderr)


def timing(pattern):
    """The kernel's own 'verification time' (log level 4, BPF_LOG_STATS) per
    program, stored beside the raw rows (kernel_usec), against userbpf's
    load_ns from the load step."""
    kload = os.path.join(B, "kload")
    for f in sorted(glob.glob(os.path.join(RAW, "*.jsonl"))):
        stem = os.path.basename(f)[:-6]
        if not matches(stem + ".c", pattern):
            continue
        obj = os.path.join(OBJ, stem + ".bpf.o")
        rows = [json.loads(l) for l in open(f)]
        try:
            r = subprocess.run(NICE + [kload, obj, "--log-level", "4"], capture_output=True, text=True, timeout=1200)
        except subprocess.TimeoutExpired:
            continue
        usec = {}
        for l in r.stdout.splitlines():
            if l.startswith("{"):
                k = json.loads(l)
                m = re.search(r"verification time (\d+) usec", k.get("log", ""))
                if m and k.get("program"):
                    usec[k["program"]] = int(m.group(1))
        for row in rows:
            if row.get("program") in usec:
                row["kernel_usec"] = usec[row["program"]]
        with open(f, "w") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")


TRAILER = re.compile(r"^(processed \d+ insns|verification time|stack depth|-- (BEGIN|END) PROG LOAD LOG|"
                     r"\s*$|mark_precise|last_idx|regs=|parent didn't have)")
INSN = re.compile(r"^\d+: \(")


def error_line(log):
    """The first line the verifier printed for its error: the first line after
    the last instruction line that is not a trailer, a source comment or a
    state dump; for logs without instructions, the first such line."""
    if not log:
        return None
    lines = log.splitlines()
    last = max((i for i, l in enumerate(lines) if INSN.match(l)), default=-1)
    tail = lines[last + 1:] if last >= 0 else lines
    for l in tail:
        s = l.strip()
        if TRAILER.match(l) or s.startswith(";") or re.match(r"^(\d+: )?(frame\d+: )?R\d+[_=]", s) \
                or re.match(r"^from \d+ to \d+:", s) or s.startswith("func#") or s.startswith("Validating") \
                or re.match(r"^Func#\d+ \('.*'\) is (safe for any args|global and assumed valid)", s):
            continue
        return s
    return None


def norm(msg):
    """A message with its numbers and names abstracted, to group by."""
    msg = re.sub(r"^userbpf: ", "", msg or "")
    msg = re.sub(r"^[\w.-]+\.bpf\.o: ", "", msg)
    if "BPF_MAP_CREATE" not in msg:  # there the map's name tells its type
        msg = re.sub(r"\bmap [\w.?/-]+(?=:)", "map X", msg)
    msg = re.sub(r"\bextern [\w.?/-]+ is", "extern X is", msg)
    msg = re.sub(r"\b(extern|section|program|symbol|prog) [\w.?/:-]+(?=:)", r"\1 X", msg)
    msg = re.sub(r"'[^']*'|\"[^\"]*\"", "'X'", msg)
    msg = re.sub(r"\b(0x[0-9a-f]+|-?\d+)\b", "N", msg)
    msg = re.sub(r"\bR\d+\b", "Rn", msg)
    return msg[:160]


def userbpf_rev():
    r = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() or "?"


def summary(pattern, mcpu, out_dir):
    rows = []
    for f in sorted(glob.glob(os.path.join(RAW, "*.jsonl"))):
        if matches(os.path.basename(f)[:-6] + ".c", pattern):
            rows += [json.loads(l) for l in open(f)]
    compile_info = json.load(open(COMPILE)) if os.path.exists(COMPILE) else {}
    compile_info = {n: e for n, e in compile_info.items() if matches(n, pattern)}
    compiled = [n for n, e in compile_info.items() if e is None]
    skipped = {n: e for n, e in compile_info.items() if e is not None}
    objects_loaded = {r["object"] for r in rows}
    progs = [r for r in rows if "program" in r]
    open_failed = [r for r in rows if "program" not in r]

    per = []
    c = collections.Counter()
    over, under, loader_fail, err_mismatch = [], [], collections.Counter(), []
    loader_examples = {}
    kernel_prever = collections.Counter()
    for r in progs:
        k, u = r["kernel"], r["userbpf"]
        kran = k.get("verifier_ran") or k.get("accepted")
        kerr = None if k["accepted"] else error_line(k.get("log"))
        row = {"object": r["object"], "program": r["program"], "type": k.get("prog_type"),
               "expect": k.get("expect"),
               "kernel": {"accepted": k["accepted"], "errno": k["errno"], "error": kerr}}
        if not row["expect"]:
            del row["expect"]
        if k.get("selftest_flags"):
            row["selftest_flags"] = k["selftest_flags"]
        c["programs"] += 1
        if k.get("expect") and kran:
            c["expect_known"] += 1
            c["kernel_matches_expect"] += (k["expect"] == "success") == k["accepted"]
        if kran:
            c["kernel_verifier_ran"] += 1
        else:
            msg = [l for l in k.get("libbpf", "").splitlines() if l.strip()]
            row["kernel"]["libbpf"] = msg[0][:200] if msg else None
            kernel_prever[norm(re.sub(r"^libbpf: ", "", msg[0]) if msg else "")] += 1
        if "loader_failure" in u:
            c["userbpf_loader_failure"] += 1
            key = norm(u["loader_failure"])
            row["userbpf"] = {"loader_failure": key}  # the group; loader_failures has an example of each
            loader_fail[key] += 1
            loader_examples.setdefault(key, u["loader_failure"][:300])
            if kran:
                c["kernel_ran_userbpf_loader_failed"] += 1
            per.append(row)
            continue
        uerr = None if u["accepted"] else error_line(u.get("log"))
        row["userbpf"] = {"accepted": u["accepted"], "errno": u.get("errno_value") or 0, "error": uerr}
        if "unsupported" in u:
            row["userbpf"]["unsupported"] = u["unsupported"]
        c["userbpf_verifier_reached"] += 1
        # accepted after the structural checks alone (the full verifier
        # stopped at a construct it does not model: `unsupported`)
        c["userbpf_structural_accept"] += bool(u["accepted"] and u.get("unsupported"))
        if not kran:
            per.append(row)
            continue
        c["both"] += 1
        if u["accepted"] == k["accepted"]:
            c["verdict_agree"] += 1
            if u["accepted"] or (row["userbpf"]["errno"] == k["errno"]):
                c["verdict_errno_agree"] += 1
        elif u["accepted"]:
            c["over_accept"] += 1
            c["over_accept_structural"] += bool(u.get("unsupported"))
            over.append(row)
        else:
            c["under_accept"] += 1
            under.append(row)
        if not u["accepted"] and not k["accepted"]:
            c["both_refuse"] += 1
            if kerr == uerr:
                c["error_line_agree"] += 1
            else:
                err_mismatch.append(row)
        per.append(row)

    # time: the kernel's verification time against userbpf's load_ns, over
    # programs both verifiers ran and both accepted (same work done)
    tk = tu = 0
    ratios = []
    for r in progs:
        u = r.get("userbpf", {})
        if "kernel_usec" in r and r["kernel"]["accepted"] and u.get("accepted") and u.get("load_ns"):
            tk += r["kernel_usec"]
            tu += u["load_ns"] / 1000
            ratios.append(u["load_ns"] / 1000 / max(r["kernel_usec"], 1))
    ratios.sort()

    def pct(a, b):
        return round(100.0 * a / b, 2) if b else None

    totals = {
        "linux_source": VER,
        "source_files": len(compile_info),
        "compiled": len(compiled),
        "compile_skipped": len(skipped),
        "objects_loaded": len(objects_loaded),
        "objects_libbpf_open_failed": len(open_failed),
        "programs": c["programs"],
        "kernel_verifier_ran": c["kernel_verifier_ran"],
        "kernel_refused_before_verifier": c["programs"] - c["kernel_verifier_ran"],
        "kernel_matches_selftest_expectation": f"{c['kernel_matches_expect']} of {c['expect_known']} (no selftest flags, privileged)",
        "kernel_accepted": sum(1 for r in progs if r["kernel"]["accepted"]),
        "userbpf_loader_failure": c["userbpf_loader_failure"],
        "userbpf_verifier_reached": c["userbpf_verifier_reached"],
        "both_verifiers": c["both"],
        "verdict_agree": c["verdict_agree"],
        "verdict_agree_pct": pct(c["verdict_agree"], c["both"]),
        "verdict_errno_agree": c["verdict_errno_agree"],
        "verdict_errno_agree_pct": pct(c["verdict_errno_agree"], c["both"]),
        "over_accepts": c["over_accept"],
        "over_accepts_structural": c["over_accept_structural"],
        "userbpf_structural_accepts": c["userbpf_structural_accept"],
        "under_accepts": c["under_accept"],
        "kernel_ran_userbpf_loader_failed": c["kernel_ran_userbpf_loader_failed"],
        "both_refuse": c["both_refuse"],
        "error_line_agree": c["error_line_agree"],
        "error_line_agree_pct": pct(c["error_line_agree"], c["both_refuse"]),
    }
    if ratios:
        totals.update({
            "timed_both_accept": len(ratios),
            "kernel_verification_usec_total": tk,
            "userbpf_load_usec_total": round(tu),
            "userbpf_over_kernel_time_median": round(ratios[len(ratios) // 2], 2),
            "userbpf_slower_than_kernel": sum(1 for x in ratios if x > 1),
        })
    over_cat = collections.Counter(norm(r["kernel"]["error"]) for r in over)
    under_cat = collections.Counter(norm(r["userbpf"]["error"]) for r in under)
    doc = {
        "totals": totals,
        "loader_failures": [{"count": n, "message": loader_examples[m], "group": m}
                            for m, n in loader_fail.most_common()],
        "kernel_refused_before_verifier": [{"count": n, "group": m} for m, n in kernel_prever.most_common()],
        "kfuncs_blocking_loads": [{"count": n, "kfunc": m} for m, n in collections.Counter(
            x.group(1) for r in progs
            for x in [re.search(r"extern (\S+) is referenced by a non-ld_imm64", r["userbpf"].get("loader_failure", ""))]
            if x).most_common()],
        "over_accept_categories": [{"count": n, "kernel_error": m} for m, n in over_cat.most_common()],
        "over_accepts_by_unsupported": [{"count": n, "unsupported": m} for m, n in collections.Counter(
            r["userbpf"].get("unsupported") or "(none: the full verifier accepted)" for r in over).most_common()],
        "under_accept_categories": [{"count": n, "userbpf_error": m} for m, n in under_cat.most_common()],
        "compile_skipped": skipped,
        "programs": per,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        f.write("{\n")
        keys = list(doc)
        for i, key in enumerate(keys):
            v = doc[key]
            f.write(json.dumps(key) + ": ")
            if isinstance(v, list):
                f.write("[\n" + ",\n".join("  " + json.dumps(x, sort_keys=True) for x in v) + "\n]")
            else:
                f.write(json.dumps(v, indent=1, sort_keys=isinstance(v, dict) and key != "totals"))
            f.write(",\n" if i + 1 < len(keys) else "\n")
        f.write("}\n")
    md = ["# Kernel BPF selftests: host kernel vs userbpf", "",
          f"Generated by `tools/selftests/harness.py summary` from linux-source-{VER}'s "
          f"{'samples/bpf' if SAMPLES else 'tools/testing/selftests/bpf/progs'} ({pattern}), clang-19 -mcpu={mcpu}, host kernel {os.uname().release}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, userbpf at {userbpf_rev()}.", "", "| total | value |", "| --- | --- |"]
    md += [f"| {k} | {v} |" for k, v in totals.items()]
    md += ["", "## userbpf loader failures (grouped)", "", "| count | group | example message |", "| --- | --- | --- |"]
    md += [f"| {n} | `{m}` | `{loader_examples[m]}` |" for m, n in loader_fail.most_common(20)]
    md += ["", "## kfuncs named by the kfunc loader failures (the first one each load met)", "",
           ", ".join(f"{x['kfunc']} {x['count']}" for x in doc["kfuncs_blocking_loads"]) or "none"]
    md += ["", "## over-accepts (userbpf accepts, kernel refuses) by kernel error", "", "| count | kernel error |", "| --- | --- |"]
    md += [f"| {n} | `{m}` |" for m, n in over_cat.most_common(30)]
    md += ["", "| object | program | type | kernel error |", "| --- | --- | --- | --- |"]
    md += [f"| {r['object']} | {r['program']} | {r['type']} | `{r['kernel']['error']}` |" for r in over]
    md += ["", "## under-accepts (kernel accepts, userbpf refuses) by userbpf error", "", "| count | userbpf error |", "| --- | --- |"]
    md += [f"| {n} | `{m}` |" for m, n in under_cat.most_common(30)]
    md += ["", "## kernel refused before its verifier ran (libbpf/kernel, grouped)", "", "| count | message |", "| --- | --- |"]
    md += [f"| {n} | `{m}` |" for m, n in kernel_prever.most_common(15)]
    md += ["", f"## error-line mismatches where both refuse ({len(err_mismatch)})", "",
           "| object | program | kernel | userbpf |", "| --- | --- | --- | --- |"]
    md += [f"| {r['object']} | {r['program']} | `{r['kernel']['error']}` | `{r['userbpf']['error']}` |"
           for r in err_mismatch[:200]]
    md += ["", f"## files clang-19 did not compile ({len(skipped)})", ""]
    md += [f"- {n}: `{e[:200]}`" for n, e in sorted(skipped.items())]
    open(os.path.join(out_dir, "summary.md"), "w").write("\n".join(md).replace("|`", "| `") + "\n")
    print(json.dumps(totals, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["build", "load", "timing", "summary", "all"])
    ap.add_argument("glob", nargs="?", default="verifier_*.c",
                    help='files of progs/: a glob, or "other" for all but verifier_*.c')
    ap.add_argument("--mcpu", default="v3", help="clang -mcpu (the Makefile's test_progs: v3)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--samples", action="store_true",
                    help="samples/bpf/*.bpf.c instead of the selftests (the *_kern.c need a built kernel tree)")
    ap.add_argument("--log-level", type=int, default=1)
    ap.add_argument("--out", help="summary directory (default results/VERSION/{verifier,other,all,custom})")
    a = ap.parse_args()
    if a.samples:
        if not os.path.isdir(os.path.join(SRC, "samples/bpf")):
            sys.exit("no samples/bpf in the cache: SAMPLES=1 tools/selftests/fetch.sh")
        if a.glob == "verifier_*.c":
            a.glob = "*.bpf.c"
    flavour(a.mcpu, a.samples)
    if a.cmd in ("build", "all"):
        build(a.glob, a.mcpu, a.jobs)
    if a.cmd in ("load", "all"):
        load(a.glob, a.log_level)
    if a.cmd in ("timing", "all"):
        timing(a.glob)
    if a.cmd in ("summary", "all"):
        label = {"verifier_*.c": "verifier", "other": "other", "*.c": "all"}.get(a.glob, "custom")
        if a.samples:
            label = "samples"
        elif a.mcpu != "v3":
            label += "-cpu" + a.mcpu
        summary(a.glob, a.mcpu, a.out or os.path.join(HERE, "results", VER, label))


if __name__ == "__main__":
    main()
