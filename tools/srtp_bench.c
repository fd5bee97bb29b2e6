/* srtp_bench.c - what one SRTP protect and unprotect cost, per profile, on
 * libsrtp2's own primitives (NSS in Debian's build) and on parley's OpenSSL
 * ones (media/srtp_ossl.h). Both runs happen in one process: the library's
 * first, then srtp_global_init() installs ours, which cannot be undone.
 *
 *     srtp_bench [packets [rounds]]      (defaults: 200000, 3)
 *
 * Packets are 12-byte header + 1200-byte payload, one SSRC, sequence numbers
 * increasing. They are made in batches outside the timed region; only the
 * protect (or unprotect) calls are timed, with CLOCK_MONOTONIC. Each figure
 * is the best of `rounds` runs, since other work on a shared machine only
 * ever adds time. Build it with optimisation and without sanitizers. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/srtp.h"
#include "media/srtp_ossl.h"

#define PAYLOAD 1200
#define BATCH 512
#define SLOT 1280 /* > 12 + PAYLOAD + SRTP_TRAILER_MAX, a multiple of 8 */

struct result {
	double protect_ns;
	double unprotect_ns;
};

static const enum srtp_profile profiles[] = {
	SRTP_PROFILE_AES128_CM_SHA1_80,
	SRTP_PROFILE_AES128_CM_SHA1_32,
	SRTP_PROFILE_AEAD_AES_128_GCM,
};
#define NPROF (sizeof(profiles) / sizeof(profiles[0]))

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t rtp_make(uint8_t *buf, uint16_t seq)
{
	static const uint8_t hdr[12] = { 0x80, 96, 0, 0, 0, 0, 0x10, 0, 0x12, 0x34, 0x56, 0x78 };

	memcpy(buf, hdr, sizeof(hdr));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	for (size_t i = 0; i < PAYLOAD; i++)
		buf[12 + i] = (uint8_t)(i + seq);
	return 12 + PAYLOAD;
}

static int sess_pair(enum srtp_profile p, struct srtp_sess **tx, struct srtp_sess **rx)
{
	uint8_t mat[64];
	struct srtp_master l, r, l2, r2;
	size_t n = srtp_profile_material_len(p);
	int err;

	for (size_t i = 0; i < n; i++)
		mat[i] = (uint8_t)(i * 37 + 1);
	err = srtp_material_split(p, mat, n, true, &l, &r);
	err = err ? err : srtp_material_split(p, mat, n, false, &l2, &r2);
	err = err ? err : srtp_sess_alloc(tx, p, &l, &r);
	if (err)
		return err;
	err = srtp_sess_alloc(rx, p, &l2, &r2);
	if (err)
		srtp_sess_free(*tx);
	return err;
}

/* Protects then unprotects `count` packets in batches, timing each side. */
static int run_one(enum srtp_profile p, unsigned long count, uint8_t *pool, struct result *res)
{
	struct srtp_sess *tx, *rx;
	size_t len[BATCH];
	double t_prot = 0, t_unprot = 0, t0;
	uint16_t seq = 0;
	unsigned long done = 0;
	int err = sess_pair(p, &tx, &rx);

	while (!err && done < count) {
		unsigned n = count - done < BATCH ? (unsigned)(count - done) : BATCH;

		for (unsigned i = 0; i < n; i++)
			len[i] = rtp_make(pool + (size_t)i * SLOT, seq++);
		t0 = now_ns();
		for (unsigned i = 0; i < n && !err; i++)
			err = srtp_sess_protect_rtp(tx, pool + (size_t)i * SLOT, &len[i], SLOT);
		t_prot += now_ns() - t0;
		t0 = now_ns();
		for (unsigned i = 0; i < n && !err; i++)
			err = srtp_sess_unprotect_rtp(rx, pool + (size_t)i * SLOT, &len[i]);
		t_unprot += now_ns() - t0;
		done += n;
	}
	srtp_sess_free(tx);
	srtp_sess_free(rx);
	res->protect_ns = t_prot / (double)count;
	res->unprotect_ns = t_unprot / (double)count;
	return err;
}

static int run_all(unsigned long count, unsigned rounds, uint8_t *pool, struct result *res)
{
	for (size_t p = 0; p < NPROF; p++) {
		struct result r;
		/* A short warm-up so that first-touch costs stay out. */
		int err = run_one(profiles[p], BATCH * 4, pool, &r);

		res[p].protect_ns = res[p].unprotect_ns = 1e30;
		for (unsigned i = 0; i < rounds && !err; i++) {
			err = run_one(profiles[p], count, pool, &r);
			if (r.protect_ns < res[p].protect_ns)
				res[p].protect_ns = r.protect_ns;
			if (r.unprotect_ns < res[p].unprotect_ns)
				res[p].unprotect_ns = r.unprotect_ns;
		}
		if (err) {
			fprintf(stderr, "srtp_bench: %s: %s\n", srtp_profile_name(profiles[p]),
				strerror(err));
			return err;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3;
	struct result lib[NPROF], ossl[NPROF];
	uint8_t *pool = aligned_alloc(64, (size_t)BATCH * SLOT);
	int err;

	if (!pool || count == 0 || rounds == 0) {
		fprintf(stderr, "usage: srtp_bench [packets [rounds]]\n");
		return 2;
	}
	err = srtp_lib_init();
	err = err ? err : run_all(count, rounds, pool, lib);
	err = err ? err : srtp_global_init();
	err = err ? err : run_all(count, rounds, pool, ossl);
	free(pool);
	if (err) {
		fprintf(stderr, "srtp_bench: %s\n", strerror(err));
		return 1;
	}
	printf("SRTP, %u-byte payload, ns per packet, best of %u x %lu packets\n", PAYLOAD, rounds,
	       count);
	printf("%-24s %10s %10s %10s %10s %8s\n", "profile", "prot lib", "prot ossl", "unpr lib",
	       "unpr ossl", "speedup");
	for (size_t p = 0; p < NPROF; p++) {
		printf("%-24s %10.0f %10.0f %10.0f %10.0f %7.1fx\n", srtp_profile_name(profiles[p]),
		       lib[p].protect_ns, ossl[p].protect_ns, lib[p].unprotect_ns,
		       ossl[p].unprotect_ns, lib[p].protect_ns / ossl[p].protect_ns);
	}
	printf("(lib: libsrtp2's own primitives (NSS); ossl: AES-CM, HMAC-SHA1 and AES-GCM "
	       "on OpenSSL)\n");
	return 0;
}
