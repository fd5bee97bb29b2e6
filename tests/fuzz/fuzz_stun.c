/* fuzz_stun.c - libFuzzer target for media/stun.c.
 *
 * Every input goes through stun_is and stun_parse. When it parses, the view
 * must point inside the input, the integrity check and the username split
 * must not fail in any other way than documented, and the attributes ICE
 * reads are written again with stun_writer (with MESSAGE-INTEGRITY and
 * FINGERPRINT): the result must parse to the same values and pass its own
 * integrity check (abort otherwise). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/stun.h"
#include "tests/fuzz/fuzz.h"

static void rewrite(const struct stun_msg *m)
{
	uint8_t out[2048];
	struct stun_writer w;
	struct stun_msg n;
	size_t len = 0;
	int err;

	stun_writer_init(&w, out, sizeof(out), m->method, m->cls, m->tid);
	if (m->username)
		stun_put(&w, STUN_ATTR_USERNAME, m->username, m->username_len);
	if (m->has_priority)
		stun_put_u32(&w, STUN_ATTR_PRIORITY, m->priority);
	if (m->use_candidate)
		stun_put(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (m->ice_controlling || m->ice_controlled)
		stun_put_u64(&w, m->ice_controlling ? STUN_ATTR_ICE_CONTROLLING :
						      STUN_ATTR_ICE_CONTROLLED, m->tiebreaker);
	if (m->has_mapped)
		stun_put_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS,
				  (const struct sockaddr *)&m->mapped);
	if (m->has_error)
		stun_put_error(&w, m->error_code, "fuzz");
	err = stun_writer_finish(&w, "key", 3, true, &len);
	CHECK(err == 0);
	CHECK(stun_parse(&n, out, len) == 0);
	CHECK(n.method == m->method && n.cls == m->cls);
	CHECK(memcmp(n.tid, m->tid, STUN_TID_LEN) == 0);
	CHECK(n.username_len == m->username_len);
	CHECK(!m->username || memcmp(n.username, m->username, m->username_len) == 0);
	CHECK(n.has_priority == m->has_priority && n.priority == m->priority);
	CHECK(n.use_candidate == m->use_candidate && n.tiebreaker == m->tiebreaker);
	CHECK(n.ice_controlling == m->ice_controlling);
	CHECK(n.has_mapped == m->has_mapped);
	CHECK(!m->has_mapped || memcmp(&n.mapped, &m->mapped, sizeof(n.mapped)) == 0);
	CHECK(n.has_error == m->has_error && n.error_code == m->error_code);
	CHECK(n.has_fingerprint && n.integrity_off);
	CHECK(stun_check_integrity(&n, "key", 3) == 0);
	CHECK(stun_check_integrity(&n, "kez", 3) == EACCES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	char lfrag[64];
	int err;

	(void)stun_is(data, size);
	if (stun_parse(&m, data, size) != 0)
		return 0;
	CHECK(m.buf == data && m.len == size);
	CHECK(!m.username || (m.username >= data && m.username + m.username_len <= data + size));
	CHECK(m.username_len <= STUN_MAX_USERNAME);
	CHECK(m.integrity_off == 0 || m.integrity_off + 24 <= size);
	CHECK(m.n_unknown <= STUN_MAX_UNKNOWN);
	CHECK(!m.has_error || (m.error_code >= 300 && m.error_code <= 699));
	err = stun_check_integrity(&m, "key", 3);
	CHECK(err == 0 || err == EACCES || err == ENOENT);
	err = stun_username_local(&m, lfrag, sizeof(lfrag));
	CHECK(err == 0 || err == EBADMSG || err == ENOENT);
	CHECK(err || (strlen(lfrag) > 0 && strlen(lfrag) < sizeof(lfrag)));
	rewrite(&m);
	return 0;
}
