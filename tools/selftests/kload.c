// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * kload: load every program of a BPF ELF object into the host kernel, one
 * program at a time, with libbpf (built from the kernel tree by fetch.sh),
 * and print one JSON line per program: what libbpf and the kernel said.
 *
 *   kload OBJ.o [--log-level N] [--selftest-flags]
 *
 * Each program gets a fresh bpf_object (open, autoload only this program,
 * load), as the selftests' test_loader does. Flags are libbpf's own (from
 * the SEC name: sleepable, xdp frags); with --selftest-flags the flags of the
 * program's "comment:test_prog_flags=" decl tags are added, as test_loader
 * does (userbpf's `prog load OBJ.o` cannot take flags yet, so the harness
 * leaves this off by default and records the tags in "selftest_flags").
 *
 * Output fields: object, program, section, prog_type, expect ("failure",
 * "success" or null, from __failure/__success), auxiliary (an __auxiliary
 * program, which test_loader also loads beside every other program of its
 * object, as kload does), selftest_flags, flags,
 * stage ("open" | "load"), accepted, errno, verifier_ran (the kernel wrote a
 * log), log, libbpf (libbpf's warnings for this program, the loader-failure
 * reason when the verifier did not run).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define LOG_SZ (16u << 20)
static char *log_buf;
static char libbpf_msgs[1 << 16];
static size_t libbpf_len;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_len < sizeof(libbpf_msgs) - 1) {
		int n = vsnprintf(libbpf_msgs + libbpf_len, sizeof(libbpf_msgs) - libbpf_len, fmt, ap);
		if (n > 0)
			libbpf_len += n;
		if (libbpf_len > sizeof(libbpf_msgs) - 1)
			libbpf_len = sizeof(libbpf_msgs) - 1;
	}
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct tags {
	const char *expect;
	int flags;
	int aux; /* __auxiliary: test_loader loads it beside every test program */
};

static int flag_value(const char *v)
{
	static const struct { const char *n; int v; } names[] = {
		{ "BPF_F_STRICT_ALIGNMENT", BPF_F_STRICT_ALIGNMENT },
		{ "BPF_F_ANY_ALIGNMENT", BPF_F_ANY_ALIGNMENT },
		{ "BPF_F_TEST_RND_HI32", BPF_F_TEST_RND_HI32 },
		{ "BPF_F_TEST_STATE_FREQ", BPF_F_TEST_STATE_FREQ },
		{ "BPF_F_SLEEPABLE", BPF_F_SLEEPABLE },
		{ "BPF_F_XDP_HAS_FRAGS", BPF_F_XDP_HAS_FRAGS },
		{ "BPF_F_TEST_REG_INVARIANTS", 1U << 7 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].n) == 0)
			return names[i].v;
	return (int)strtol(v, NULL, 0);
}

/* The selftests' annotations (bpf_misc.h) are BTF decl tags on the func. */
static struct tags read_tags(struct bpf_object *obj, const char *name)
{
	struct tags t = { NULL, 0, 0 };
	struct btf *btf = bpf_object__btf(obj);
	int func_id, i;

	if (!btf)
		return t;
	func_id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (func_id < 0)
		return t;
	for (i = 1; i < (int)btf__type_cnt(btf); i++) {
		const struct btf_type *ty = btf__type_by_id(btf, i);
		const char *s;

		if (!btf_is_decl_tag(ty) || ty->type != (unsigned)func_id ||
		    btf_decl_tag(ty)->component_idx != -1)
			continue;
		s = btf__str_by_offset(btf, ty->name_off);
		if (strcmp(s, "comment:test_expect_failure") == 0)
			t.expect = "failure";
		else if (strcmp(s, "comment:test_expect_success") == 0)
			t.expect = "success";
		else if (strcmp(s, "comment:test_auxiliary") == 0)
			t.aux = 1;
		else if (strncmp(s, "comment:test_prog_flags=", 24) == 0) {
			const char *v = s + 24;
			int clear = v[0] == '!';
			int f = flag_value(v + clear);
			t.flags = clear ? (t.flags & ~f) : (t.flags | f);
		}
	}
	return t;
}

static int load_one(const char *path, int idx, int log_level, int selftest_flags)
{
	struct bpf_object *obj;
	struct bpf_program *p, *prog = NULL;
	struct tags tags;
	int i = 0, err, flags, ran;

	libbpf_len = 0;
	libbpf_msgs[0] = 0;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("{\"object\":");
		json_str(path);
		printf(",\"stage\":\"open\",\"accepted\":false,\"errno\":%d,\"libbpf\":", errno);
		json_str(libbpf_msgs);
		printf("}\n");
		return -1;
	}
	bpf_object__for_each_program(p, obj) {
		if (i++ == idx) {
			prog = p;
			/* SEC("?...") programs are not autoloaded by default */
			bpf_program__set_autoload(p, true);
		} else {
			/* as test_loader: the object's __auxiliary programs (tail
			 * call targets in prog array initializers) load too */
			bpf_program__set_autoload(p, read_tags(obj, bpf_program__name(p)).aux);
		}
	}
	if (!prog) {
		bpf_object__close(obj);
		return 0; /* no more programs */
	}
	tags = read_tags(obj, bpf_program__name(prog));
	flags = bpf_program__flags(prog);
	if (selftest_flags)
		flags |= tags.flags;
	bpf_program__set_flags(prog, flags);
	log_buf[0] = 0;
	bpf_program__set_log_buf(prog, log_buf, LOG_SZ);
	bpf_program__set_log_level(prog, log_level);
	err = bpf_object__load(obj);
	if (!err && bpf_program__fd(prog) < 0)
		err = -ENOENT; /* not loaded after all */
	ran = log_buf[0] != 0;

	printf("{\"object\":");
	json_str(path);
	printf(",\"program\":");
	json_str(bpf_program__name(prog));
	printf(",\"section\":");
	json_str(bpf_program__section_name(prog));
	printf(",\"prog_type\":");
	json_str(libbpf_bpf_prog_type_str(bpf_program__type(prog)));
	printf(",\"expect\":");
	if (tags.expect)
		json_str(tags.expect);
	else
		printf("null");
	printf(",\"auxiliary\":%s", tags.aux ? "true" : "false");
	printf(",\"selftest_flags\":%d,\"flags\":%d,\"stage\":\"load\",\"accepted\":%s,\"errno\":%d,\"verifier_ran\":%s,\"log\":",
	       tags.flags, flags, err ? "false" : "true", err ? -err : 0, ran ? "true" : "false");
	json_str(log_buf);
	printf(",\"libbpf\":");
	json_str(libbpf_msgs);
	printf("}\n");
	fflush(stdout);
	bpf_object__close(obj);
	return 1;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int log_level = 1, selftest_flags = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc)
			log_level = atoi(argv[++i]);
		else if (strcmp(argv[i], "--selftest-flags") == 0)
			selftest_flags = 1;
		else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: kload OBJ.o [--log-level N] [--selftest-flags]\n");
		return 2;
	}
	log_buf = malloc(LOG_SZ);
	libbpf_set_print(print_fn);
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	for (i = 0;; i++) {
		int r = load_one(path, i, log_level, selftest_flags);
		if (r <= 0)
			return r < 0 ? 1 : 0;
	}
}
