// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-tesseract's table and message parsing.
 */
#include <kunit/test.h>

#include "tess-args.h"

struct features_case {
	const char *desc;
	unsigned int argc;
	char *argv[4];
	int ret;
	bool discard_passdown;
	bool reconcile;
	unsigned int left;	/* arguments left in the set after parsing */
};

static const struct features_case features_cases[] = {
	{ "none", 0, {}, 0, true, true, 0 },
	{ "zero count", 1, { "0" }, 0, true, true, 0 },
	{ "no_discard_passdown", 2, { "1", "no_discard_passdown" }, 0, false, true, 0 },
	{ "case insensitive", 2, { "1", "No_Discard_Passdown" }, 0, false, true, 0 },
	{ "no_reconcile", 2, { "1", "no_reconcile" }, 0, true, false, 0 },
	{ "both", 3, { "2", "no_reconcile", "no_discard_passdown" }, 0, false, false, 0 },
	{ "trailing args left", 3, { "0", "extra", "more" }, 0, true, true, 2 },
	{ "unknown feature", 2, { "1", "bogus" }, -EINVAL, true, true, 0 },
	{ "count too large", 4, { "5", "no_reconcile", "no_discard_passdown", "x" },
	  -EINVAL, true, true, 0 },
	{ "count beyond args", 1, { "1" }, -EINVAL, true, true, 0 },
	{ "count not a number", 2, { "one", "no_discard_passdown" }, -EINVAL, true, true, 0 },
	/* dm_read_arg_group()'s %u wraps 4294967297 to 1: not here. */
	{ "count wraps", 2, { "4294967297", "no_reconcile" }, -EINVAL, true, true, 0 },
	{ "count wraps to zero", 1, { "4294967296" }, -EINVAL, true, true, 0 },
	{ "count with a sign", 2, { "+1", "no_reconcile" }, -EINVAL, true, true, 0 },
	{ "count empty", 1, { "" }, -EINVAL, true, true, 0 },
	{ "leading zeros", 2, { "01", "no_reconcile" }, 0, true, false, 0 },
	{ "duplicate feature", 3, { "2", "no_reconcile", "NO_RECONCILE" },
	  -EINVAL, true, false, 0 },
};

static void features_case_desc(const struct features_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(features, features_cases, features_case_desc);

static void tess_parse_features_test(struct kunit *test)
{
	const struct features_case *c = test->param_value;
	char *argv[4];
	struct dm_arg_set as = { .argc = c->argc, .argv = argv };
	struct tess_features f;
	char *error = NULL;
	int r;

	memcpy(argv, c->argv, sizeof(argv));
	r = tess_parse_features(&as, &f, &error);
	KUNIT_EXPECT_EQ(test, r, c->ret);
	if (r) {
		KUNIT_EXPECT_NOT_NULL(test, error);
		return;
	}
	KUNIT_EXPECT_EQ(test, f.discard_passdown, c->discard_passdown);
	KUNIT_EXPECT_EQ(test, f.reconcile, c->reconcile);
	KUNIT_EXPECT_EQ(test, as.argc, c->left);
}

struct max_case {
	const char *desc;
	unsigned int argc;
	char *argv[5];
	int ret;
	u64 max_remapped;
	bool reconcile;
};

static const struct max_case max_cases[] = {
	{ "max_remapped", 3, { "2", "max_remapped", "100" }, 0, 100, true },
	{ "with another", 4, { "3", "no_reconcile", "max_remapped", "7" }, 0, 7,
	  false },
	{ "value missing", 2, { "1", "max_remapped" }, -EINVAL, 0, true },
	{ "value not counted", 3, { "1", "max_remapped", "5" }, -EINVAL, 0, true },
	{ "value not a number", 3, { "2", "max_remapped", "x" }, -EINVAL, 0, true },
	{ "value signed", 3, { "2", "max_remapped", "-1" }, -EINVAL, 0, true },
	{ "value too large", 3, { "2", "max_remapped", "4294967296" }, -EINVAL,
	  0, true },
	{ "twice", 5, { "4", "max_remapped", "1", "max_remapped", "2" }, -EINVAL,
	  0, true },
};

static void max_case_desc(const struct max_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(max, max_cases, max_case_desc);

static void tess_parse_max_remapped_test(struct kunit *test)
{
	const struct max_case *c = test->param_value;
	char *argv[5];
	struct dm_arg_set as = { .argc = c->argc, .argv = argv };
	struct tess_features f;
	char *error = NULL;
	int r;

	memcpy(argv, c->argv, sizeof(argv));
	r = tess_parse_features(&as, &f, &error);
	KUNIT_EXPECT_EQ(test, r, c->ret);
	if (r) {
		KUNIT_EXPECT_NOT_NULL(test, error);
		return;
	}
	KUNIT_EXPECT_EQ(test, f.max_remapped, c->max_remapped);
	KUNIT_EXPECT_EQ(test, f.reconcile, c->reconcile);
	KUNIT_EXPECT_EQ(test, as.argc, 0U);
}

struct pool_case {
	const char *desc;
	unsigned int argc;
	char *argv[7];
	int ret;
	unsigned int commit_period;
	bool swap;
	u64 low_water;
	const char *emitted;	/* what the table prints back */
};

static const struct pool_case pool_cases[] = {
	{ "none", 0, {}, 0, TESS_DEFAULT_COMMIT_PERIOD, true, 0, "0" },
	{ "commit_period", 3, { "2", "commit_period", "250" }, 0, 250, true, 0,
	  "2 commit_period 250" },
	{ "commit_period 0", 3, { "2", "commit_period", "0" }, 0, 0, true, 0,
	  "2 commit_period 0" },
	{ "no_swap", 2, { "1", "NO_SWAP" }, 0, TESS_DEFAULT_COMMIT_PERIOD, false,
	  0, "1 no_swap" },
	{ "all, printed in order", 6,
	  { "5", "low_water", "64", "no_swap", "commit_period", "10" }, 0, 10,
	  false, 64, "5 commit_period 10 no_swap low_water 64" },
	{ "commit_period too long", 3, { "2", "commit_period", "3600001" },
	  -EINVAL },
	{ "commit_period not a number", 3, { "2", "commit_period", "1s" },
	  -EINVAL },
	{ "low_water without value", 2, { "1", "low_water" }, -EINVAL },
	{ "duplicate no_swap", 3, { "2", "no_swap", "no_swap" }, -EINVAL },
	{ "a disk feature", 2, { "1", "no_reconcile" }, -EINVAL },
	{ "count too large", 7, { "6", "no_swap", "commit_period", "1",
	  "low_water", "1", "x" }, -EINVAL },
};

static void pool_case_desc(const struct pool_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pool, pool_cases, pool_case_desc);

static void tess_parse_pool_features_test(struct kunit *test)
{
	const struct pool_case *c = test->param_value;
	char *argv[7], buf[80];
	struct dm_arg_set as = { .argc = c->argc, .argv = argv };
	struct tess_pool_features f;
	char *error = NULL;
	int r;

	memcpy(argv, c->argv, sizeof(argv));
	r = tess_parse_pool_features(&as, &f, &error);
	KUNIT_EXPECT_EQ(test, r, c->ret);
	if (r) {
		KUNIT_EXPECT_NOT_NULL(test, error);
		return;
	}
	KUNIT_EXPECT_EQ(test, f.commit_period, c->commit_period);
	KUNIT_EXPECT_EQ(test, f.swap, c->swap);
	KUNIT_EXPECT_EQ(test, f.low_water, c->low_water);
	tess_emit_pool_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, c->emitted);
}

static void tess_default_low_water_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tess_default_low_water(65536), 1024ULL);
	KUNIT_EXPECT_EQ(test, tess_default_low_water(100), 16ULL);
}

static void tess_emit_features_test(struct kunit *test)
{
	struct tess_features f;
	char buf[64];

	tess_features_init(&f);
	KUNIT_EXPECT_EQ(test, tess_emit_features(&f, buf, sizeof(buf), 0), 1U);
	KUNIT_EXPECT_STREQ(test, buf, "0");

	f.discard_passdown = false;
	KUNIT_EXPECT_EQ(test, tess_emit_features(&f, buf, sizeof(buf), 0), 21U);
	KUNIT_EXPECT_STREQ(test, buf, "1 no_discard_passdown");

	f.reconcile = false;
	KUNIT_EXPECT_EQ(test, tess_emit_features(&f, buf, sizeof(buf), 0), 34U);
	KUNIT_EXPECT_STREQ(test, buf, "2 no_discard_passdown no_reconcile");

	f.max_remapped = 12;
	f.max_remapped_set = true;
	tess_emit_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf,
			   "4 no_discard_passdown no_reconcile max_remapped 12");

	/* Given as 0 (no cap), it still reads back as given. */
	tess_features_init(&f);
	f.max_remapped_set = true;
	tess_emit_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, "2 max_remapped 0");
}

/* What status prints must parse back to the same features. */
static void tess_features_round_trip_test(struct kunit *test)
{
	struct tess_features in = { .discard_passdown = false,
				    .reconcile = false, .max_remapped = 99,
				    .max_remapped_set = true }, out;
	char buf[64], *argv[8], *p = buf, *error;
	struct dm_arg_set as = { .argv = argv };

	tess_emit_features(&in, buf, sizeof(buf), 0);
	while (p && as.argc < ARRAY_SIZE(argv))
		argv[as.argc++] = strsep(&p, " ");
	KUNIT_ASSERT_EQ(test, tess_parse_features(&as, &out, &error), 0);
	KUNIT_EXPECT_EQ(test, out.discard_passdown, in.discard_passdown);
	KUNIT_EXPECT_EQ(test, out.reconcile, in.reconcile);
	KUNIT_EXPECT_EQ(test, out.max_remapped, in.max_remapped);
	KUNIT_EXPECT_EQ(test, out.max_remapped_set, in.max_remapped_set);
	KUNIT_EXPECT_EQ(test, as.argc, 0U);
}

static void tess_emit_features_truncates_test(struct kunit *test)
{
	struct tess_features f = { .discard_passdown = false };
	char buf[8];

	tess_emit_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_EQ(test, strlen(buf), sizeof(buf) - 1);
}

struct read_case {
	const char *desc;
	const char *arg;
	u64 max;
	int ret;
	u64 v;
};

static const struct read_case read_cases[] = {
	{ "zero", "0", 10, 0, 0 },
	{ "at the maximum", "10", 10, 0, 10 },
	{ "over the maximum", "11", 10, -EINVAL },
	{ "leading zeros", "007", 10, 0, 7 },
	{ "largest u64", "18446744073709551615", U64_MAX, 0, U64_MAX },
	{ "overflows u64", "18446744073709551616", U64_MAX, -EINVAL },
	{ "plus sign", "+1", 10, -EINVAL },
	{ "minus sign", "-1", 10, -EINVAL },
	{ "leading space", " 1", 10, -EINVAL },
	{ "trailing newline", "1\n", 10, -EINVAL },
	{ "hexadecimal", "0x1", 10, -EINVAL },
	{ "empty", "", 10, -EINVAL },
	{ "none", NULL, 10, -EINVAL },
};

static void read_case_desc(const struct read_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(read, read_cases, read_case_desc);

/* The one number reader of tables, messages and module parameters. */
static void tess_read_u64_test(struct kunit *test)
{
	const struct read_case *c = test->param_value;
	u64 v = 0;

	KUNIT_EXPECT_EQ(test, tess_read_u64(c->arg, c->max, &v), c->ret);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, v, c->v);
}

struct message_case {
	const char *desc;
	bool pool;
	unsigned int argc;
	char *argv[3];
	int ret;
	enum tess_msg msg;
	u64 arg;
	const char *error;
};

static const struct message_case message_cases[] = {
	{ "reset_counters", false, 1, { "reset_counters" }, 0,
	  TESS_MSG_RESET_COUNTERS, 0, NULL },
	{ "case insensitive", false, 1, { "RESET_COUNTERS" }, 0,
	  TESS_MSG_RESET_COUNTERS, 0, NULL },
	{ "extra argument", false, 2, { "reset_counters", "now" }, -EINVAL, 0, 0,
	  "reset_counters takes no arguments" },
	{ "copy_home", false, 1, { "copy_home" }, 0, TESS_MSG_COPY_HOME, 0, NULL },
	{ "copy_home with an argument", false, 2, { "copy_home", "1" }, -EINVAL,
	  0, 0, "copy_home takes no arguments" },
	{ "a pool message to a disk", false, 2, { "create_disk", "1" }, -EINVAL,
	  0, 0, "unknown message" },
	{ "a disk message to a pool", true, 1, { "copy_home" }, -EINVAL, 0, 0,
	  "unknown message" },
	{ "create_disk", true, 2, { "create_disk", "7" }, 0,
	  TESS_MSG_CREATE_DISK, 7, NULL },
	{ "create_disk, largest id", true, 2, { "create_disk", "16777215" }, 0,
	  TESS_MSG_CREATE_DISK, 16777215, NULL },
	{ "create_disk, id too large", true, 2, { "create_disk", "16777216" },
	  -EINVAL, 0, 0, "create_disk takes a disk id (0..16777215)" },
	{ "create_disk, no id", true, 1, { "create_disk" }, -EINVAL, 0, 0,
	  "create_disk takes a disk id (0..16777215)" },
	{ "create_disk, signed id", true, 2, { "create_disk", "+1" }, -EINVAL,
	  0, 0, "create_disk takes a disk id (0..16777215)" },
	{ "create_disk, id wraps", true, 2, { "create_disk", "18446744073709551617" },
	  -EINVAL, 0, 0, "create_disk takes a disk id (0..16777215)" },
	{ "delete_disk", true, 2, { "delete_disk", "0" }, 0,
	  TESS_MSG_DELETE_DISK, 0, NULL },
	{ "delete_disk, two ids", true, 3, { "delete_disk", "1", "2" }, -EINVAL,
	  0, 0, "delete_disk takes a disk id (0..16777215)" },
	{ "commit", true, 1, { "commit" }, 0, TESS_MSG_COMMIT, 0, NULL },
	{ "set_commit_period", true, 2, { "set_commit_period", "250" }, 0,
	  TESS_MSG_SET_COMMIT_PERIOD, 250, NULL },
	{ "set_commit_period, too long", true, 2, { "set_commit_period", "3600001" },
	  -EINVAL, 0, 0, "set_commit_period takes milliseconds (0..3600000)" },
	{ "set_low_water", true, 2, { "set_low_water", "100" }, 0,
	  TESS_MSG_SET_LOW_WATER, 100, NULL },
	{ "set_relocate", true, 2, { "set_relocate", "Regroup" }, 0,
	  TESS_MSG_SET_RELOCATE, TESS_RELOC_REGROUP, NULL },
	{ "set_relocate, a number", true, 2, { "set_relocate", "1" }, -EINVAL,
	  0, 0, "set_relocate takes a mode (off, home, regroup, auto)" },
	{ "set_relocate_batch", true, 2, { "set_relocate_batch", "1024" }, 0,
	  TESS_MSG_SET_RELOCATE_BATCH, 1024, NULL },
	{ "set_relocate_batch 0", true, 2, { "set_relocate_batch", "0" },
	  -EINVAL, 0, 0, "set_relocate_batch takes a number of blocks (1..1024)" },
	{ "set_relocate_store 101", true, 2, { "set_relocate_store", "101" },
	  -EINVAL, 0, 0, "set_relocate_store takes a percentage (0..100)" },
	{ "relocate now", true, 2, { "relocate", "NOW" }, 0, TESS_MSG_RELOCATE,
	  TESS_RELOCATE_NOW, NULL },
	{ "relocate stop", true, 2, { "relocate", "stop" }, 0, TESS_MSG_RELOCATE,
	  TESS_RELOCATE_STOP, NULL },
	{ "relocate later", true, 2, { "relocate", "later" }, -EINVAL, 0, 0,
	  "relocate takes start, stop or now" },
	{ "relocate to a disk", false, 2, { "relocate", "now" }, -EINVAL, 0, 0,
	  "unknown message" },
	{ "unknown", false, 1, { "frobnicate" }, -EINVAL, 0, 0, "unknown message" },
	{ "empty", true, 0, {}, -EINVAL, 0, 0, "empty message" },
};

static void message_case_desc(const struct message_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(message, message_cases, message_case_desc);

static void tess_parse_message_test(struct kunit *test)
{
	const struct message_case *c = test->param_value;
	enum tess_msg msg = -1;
	const char *error = NULL;
	char *argv[3];
	u64 arg = 0;

	memcpy(argv, c->argv, sizeof(argv));
	KUNIT_EXPECT_EQ(test, tess_parse_message(c->argc, argv, c->pool, &msg,
						 &arg, &error), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_STREQ(test, error, c->error);
		return;
	}
	KUNIT_EXPECT_EQ(test, msg, c->msg);
	KUNIT_EXPECT_EQ(test, arg, c->arg);
}

struct reloc_case {
	const char *desc;
	unsigned int argc;
	char *argv[7];
	int ret;
	const char *emitted;	/* the features printed back */
};

static const struct reloc_case reloc_cases[] = {
	{ "mode", 3, { "2", "relocate", "AUTO" }, 0, "2 relocate auto" },
	{ "all numbers", 7, { "6", "relocate_idle", "0", "relocate_batch", "1",
			      "relocate_store", "100" }, 0,
	  "6 relocate_idle 0 relocate_batch 1 relocate_store 100" },
	{ "bad mode", 3, { "2", "relocate", "sideways" }, -EINVAL, NULL },
	{ "mode missing", 2, { "1", "relocate" }, -EINVAL, NULL },
	{ "batch 0", 3, { "2", "relocate_batch", "0" }, -EINVAL, NULL },
	{ "batch 1025", 3, { "2", "relocate_batch", "1025" }, -EINVAL, NULL },
	{ "store 101", 3, { "2", "relocate_store", "101" }, -EINVAL, NULL },
	{ "rate too high", 3, { "2", "relocate_rate", "100001" }, -EINVAL, NULL },
	{ "twice", 5, { "4", "relocate", "home", "relocate", "off" }, -EINVAL,
	  NULL },
};

static void reloc_case_desc(const struct reloc_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(reloc, reloc_cases, reloc_case_desc);

static void tess_parse_reloc_features_test(struct kunit *test)
{
	const struct reloc_case *c = test->param_value;
	char *argv[7], buf[128], *error = NULL;
	struct dm_arg_set as = { .argc = c->argc, .argv = argv };
	struct tess_pool_features f;

	memcpy(argv, c->argv, sizeof(argv));
	KUNIT_ASSERT_EQ(test, tess_parse_pool_features(&as, &f, &error), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_NOT_ERR_OR_NULL(test, error);
		return;
	}
	tess_emit_pool_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, c->emitted);
}

/* A set_relocate* message changes the features the table prints. */
static void tess_features_set_reloc_test(struct kunit *test)
{
	struct tess_pool_features f;
	char buf[128];

	tess_pool_features_init(&f);
	KUNIT_EXPECT_TRUE(test, tess_pool_features_set_reloc(&f, TESS_MSG_SET_RELOCATE,
							     TESS_RELOC_HOME));
	KUNIT_EXPECT_TRUE(test, tess_pool_features_set_reloc(&f, TESS_MSG_SET_RELOCATE_RATE,
							     40));
	KUNIT_EXPECT_FALSE(test, tess_pool_features_set_reloc(&f, TESS_MSG_COMMIT, 0));
	KUNIT_EXPECT_EQ(test, f.reloc.mode, TESS_RELOC_HOME);
	KUNIT_EXPECT_EQ(test, f.reloc.rate, 40U);
	tess_emit_pool_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, "4 relocate home relocate_rate 40");
}

static void tess_no_remap_test(struct kunit *test)
{
	static const char * const words[] = { "2", "no_remap", "no_reconcile" };
	char *argv[3], buf[64], *error;
	struct dm_arg_set as = { .argc = 3, .argv = argv };
	struct tess_features f;

	memcpy(argv, words, sizeof(argv));
	KUNIT_ASSERT_EQ(test, tess_parse_features(&as, &f, &error), 0);
	KUNIT_EXPECT_FALSE(test, f.remap);
	KUNIT_EXPECT_FALSE(test, f.reconcile);
	tess_emit_features(&f, buf, sizeof(buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, "2 no_reconcile no_remap");
}

static struct kunit_case tess_args_cases[] = {
	KUNIT_CASE_PARAM(tess_parse_features_test, features_gen_params),
	KUNIT_CASE_PARAM(tess_parse_max_remapped_test, max_gen_params),
	KUNIT_CASE_PARAM(tess_parse_pool_features_test, pool_gen_params),
	KUNIT_CASE(tess_default_low_water_test),
	KUNIT_CASE(tess_emit_features_test),
	KUNIT_CASE(tess_features_round_trip_test),
	KUNIT_CASE(tess_emit_features_truncates_test),
	KUNIT_CASE_PARAM(tess_read_u64_test, read_gen_params),
	KUNIT_CASE_PARAM(tess_parse_message_test, message_gen_params),
	KUNIT_CASE_PARAM(tess_parse_reloc_features_test, reloc_gen_params),
	KUNIT_CASE(tess_features_set_reloc_test),
	KUNIT_CASE(tess_no_remap_test),
	{}
};

static struct kunit_suite tess_args_suite = {
	.name = "dm-tesseract-args",
	.test_cases = tess_args_cases,
};

kunit_test_suite(tess_args_suite);

MODULE_DESCRIPTION("KUnit tests for dm-tesseract argument parsing");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
