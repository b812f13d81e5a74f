#!/usr/bin/env python3
"""Runs every example of examples.json in the host kernel (root; bpftool)
and writes kernel.json: per packet the retval and data_out of
BPF_PROG_TEST_RUN, then the named maps' contents and the ring buffer's
records. tests read kernel.json; rerun this to re-record (bless)."""
import ctypes, json, mmap, os, platform, shutil, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PIN = "/sys/fs/bpf/userbpf_examples"


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def packets(path):
    d = open(path, "rb").read()[24:]
    out = []
    while d:
        _, _, n, _ = struct.unpack("<IIII", d[:16])
        out.append(d[16:16 + n])
        d = d[16 + n:]
    return out


def map_dump(path):
    rows = json.loads(sh("bpftool", "-j", "map", "dump", "pinned", path))
    out = []
    for r in rows:
        k = bytes(int(x, 16) for x in r["key"]).hex()
        v = bytes(int(x, 16) for x in r["value"]).hex()
        out.append({"key": k, "value": v})
    return sorted(out, key=lambda r: r["key"])


libc = ctypes.CDLL(None, use_errno=True)


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    attr = ctypes.create_string_buffer(16)
    struct.pack_into("<Q", attr, 0, ctypes.addressof(p))
    fd = libc.syscall(321, 7, attr, 16)  # bpf(BPF_OBJ_GET)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "BPF_OBJ_GET " + path)
    return fd


def ringbuf_records(path, size):
    """The committed records, as a consumer reads them (kernel/bpf/ringbuf.c)."""
    fd = obj_get(path)
    page = mmap.PAGESIZE
    prod = mmap.mmap(fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=page)
    cons = mmap.mmap(fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    pos, end = struct.unpack_from("<Q", cons, 0)[0], struct.unpack_from("<Q", prod, 0)[0]
    out = []
    while pos < end:
        hdr_len, _ = struct.unpack_from("<II", prod, page + pos % size)
        length = hdr_len & 0x3FFFFFFF
        if not hdr_len & (1 << 30):  # not discarded
            out.append(bytes(prod[page + pos % size + 8:page + pos % size + 8 + length]).hex())
        pos += (length + 8 + 7) // 8 * 8
    prod.close(); cons.close(); os.close(fd)
    return out


def run_example(ex, tmp):
    shutil.rmtree(PIN, ignore_errors=True)
    sh("bpftool", "prog", "loadall", os.path.join(HERE, ex["object"]), PIN, "pinmaps", PIN + "_maps")
    for name, key, value in ex.get("map_updates", []):
        sh("bpftool", "map", "update", "pinned", f"{PIN}_maps/{name}",
           "key", "hex", *[key[i:i + 2] for i in range(0, len(key), 2)],
           "value", "hex", *[value[i:i + 2] for i in range(0, len(value), 2)])
    runs = []
    for i, pkt in enumerate(packets(os.path.join(HERE, ex["pcap"]))):
        din, dout = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        open(din, "wb").write(pkt)
        text = sh("bpftool", "prog", "run", "pinned", f"{PIN}/{ex['program']}", "data_in", din,
                  "data_out", dout, "repeat", "1")
        retval = int(text.split("Return value:")[1].split(",")[0])
        runs.append({"packet": i, "retval": retval, "data_out": open(dout, "rb").read().hex()})
    res = {"runs": runs}
    if ex.get("dump_maps"):
        res["maps"] = {m: map_dump(f"{PIN}_maps/{m}") for m in ex["dump_maps"]}
    if ex.get("ringbuf"):
        res["ringbuf"] = ringbuf_records(f"{PIN}_maps/{ex['ringbuf']}", 4096)
    shutil.rmtree(PIN, ignore_errors=True)
    shutil.rmtree(PIN + "_maps", ignore_errors=True)
    return res


def main():
    manifest = json.load(open(os.path.join(HERE, "examples.json")))
    out = {"kernel": platform.release(), "examples": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for ex in manifest["examples"]:
            out["examples"][ex["name"]] = run_example(ex, tmp)
            print(ex["name"], [r["retval"] for r in out["examples"][ex["name"]]["runs"]], file=sys.stderr)
    with open(os.path.join(HERE, "kernel.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
