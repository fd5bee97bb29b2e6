/* stun.c - see stun.h. */
#include "media/stun.h"

#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define FINGERPRINT_XOR 0x5354554eu
#define INTEGRITY_LEN 20
/* Messages longer than this are not checked for integrity (ICE's are a
 * few hundred bytes; the check copies the message to patch its length). */
#define INTEGRITY_MAX 2048

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	uint32_t c = 0xffffffffu;

	/* Bit by bit: STUN messages are short and rare next to media. */
	for (size_t i = 0; i < len; i++) {
		c ^= buf[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

bool stun_is(const uint8_t *buf, size_t len)
{
	return len >= STUN_HEADER_LEN && (buf[0] & 0xc0) == 0 && rd32(buf + 4) == STUN_MAGIC &&
	       (size_t)rd16(buf + 2) + STUN_HEADER_LEN == len && (len & 3) == 0;
}

static int parse_xor_addr(struct stun_msg *m, const uint8_t *v, size_t len)
{
	uint16_t port;

	if (len < 4)
		return EBADMSG;
	port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC >> 16);
	memset(&m->mapped, 0, sizeof(m->mapped));
	if (v[1] == 0x01 && len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&m->mapped;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(rd32(v + 4) ^ STUN_MAGIC);
	} else if (v[1] == 0x02 && len == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&m->mapped;
		uint8_t mask[16];

		wr32(mask, STUN_MAGIC);
		memcpy(mask + 4, m->tid, STUN_TID_LEN);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		for (int i = 0; i < 16; i++)
			sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
	} else {
		return EBADMSG;
	}
	m->has_mapped = true;
	return 0;
}

static int parse_error_code(struct stun_msg *m, const uint8_t *v, size_t len)
{
	unsigned cls, num;

	if (len < 4)
		return EBADMSG;
	cls = v[2] & 7;
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return EBADMSG;
	m->has_error = true;
	m->error_code = cls * 100 + num;
	return 0;
}

static int want_len(size_t len, size_t want)
{
	return len == want ? 0 : EBADMSG;
}

/* One attribute before MESSAGE-INTEGRITY (or the integrity itself). */
static int parse_attr(struct stun_msg *m, uint16_t type, const uint8_t *v, size_t len,
		      size_t off)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
		if (len > STUN_MAX_USERNAME)
			return EBADMSG;
		m->username = v;
		m->username_len = len;
		return 0;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		m->integrity_off = off;
		return want_len(len, INTEGRITY_LEN);
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		return len >= 16 && len <= 32 ? 0 : EBADMSG; /* not used by ICE: ignored */
	case STUN_ATTR_ERROR_CODE:
		return parse_error_code(m, v, len);
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		return parse_xor_addr(m, v, len);
	case STUN_ATTR_PRIORITY:
		if (want_len(len, 4))
			return EBADMSG;
		m->has_priority = true;
		m->priority = rd32(v);
		return 0;
	case STUN_ATTR_USE_CANDIDATE:
		m->use_candidate = true;
		return want_len(len, 0);
	case STUN_ATTR_ICE_CONTROLLED:
	case STUN_ATTR_ICE_CONTROLLING:
		if (want_len(len, 8))
			return EBADMSG;
		m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
		m->ice_controlling = type == STUN_ATTR_ICE_CONTROLLING;
		m->ice_controlled = type == STUN_ATTR_ICE_CONTROLLED;
		return 0;
	default:
		if (type < 0x8000 && m->n_unknown < STUN_MAX_UNKNOWN)
			m->unknown[m->n_unknown++] = type;
		return 0;
	}
}

static int check_fingerprint(const struct stun_msg *m, size_t off, const uint8_t *v,
			     size_t len)
{
	if (len != 4 || off + 8 != m->len)
		return EBADMSG; /* FINGERPRINT is always last */
	return (stun_crc32(m->buf, off) ^ FINGERPRINT_XOR) == rd32(v) ? 0 : EBADMSG;
}

int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	uint16_t t;
	size_t off = STUN_HEADER_LEN;
	int err;

	memset(m, 0, sizeof(*m));
	if (!buf || !stun_is(buf, len))
		return EBADMSG;
	t = rd16(buf);
	m->buf = buf;
	m->len = len;
	m->method = (uint16_t)((t & 0x000f) | ((t & 0x00e0) >> 1) | ((t & 0x3e00) >> 2));
	m->cls = (enum stun_class)(((t >> 4) & 1) | ((t >> 7) & 2));
	m->tid = buf + 8;
	while (off < len) {
		uint16_t type;
		size_t alen;

		if (off + 4 > len)
			return EBADMSG;
		type = rd16(buf + off);
		alen = rd16(buf + off + 2);
		if (off + 4 + pad4(alen) > len)
			return EBADMSG;
		if (m->has_fingerprint)
			return EBADMSG;
		if (type == STUN_ATTR_FINGERPRINT) {
			if (check_fingerprint(m, off, buf + off + 4, alen))
				return EBADMSG;
			m->has_fingerprint = true;
		} else if (!m->integrity_off) {
			err = parse_attr(m, type, buf + off + 4, alen, off);
			if (err)
				return err;
		}
		off += 4 + pad4(alen);
	}
	return 0;
}

int stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen)
{
	uint8_t copy[INTEGRITY_MAX];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	size_t off = m->integrity_off;

	if (!off)
		return ENOENT;
	if (off > sizeof(copy) || !key || keylen > INT32_MAX)
		return EACCES;
	/* The MAC covers the message up to the attribute, with the length as if
	 * the attribute ended the message (RFC 8489 §14.5). */
	memcpy(copy, m->buf, off);
	wr16(copy + 2, (uint16_t)(off + 4 + INTEGRITY_LEN - STUN_HEADER_LEN));
	if (!HMAC(EVP_sha1(), key, (int)keylen, copy, off, mac, &maclen) ||
	    maclen != INTEGRITY_LEN)
		return EACCES;
	return CRYPTO_memcmp(mac, m->buf + off + 4, INTEGRITY_LEN) == 0 ? 0 : EACCES;
}

int stun_username_local(const struct stun_msg *m, char *out, size_t size)
{
	const uint8_t *colon;
	size_t n;

	if (!m->username)
		return ENOENT;
	colon = memchr(m->username, ':', m->username_len);
	if (!colon)
		return EBADMSG;
	n = (size_t)(colon - m->username);
	if (n == 0 || n + 1 == m->username_len || n >= size)
		return EBADMSG;
	memcpy(out, m->username, n);
	out[n] = '\0';
	return memchr(out, '\0', n) ? EBADMSG : 0;
}

/* --- writer --------------------------------------------------------------- */

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t method,
		      enum stun_class cls, const uint8_t *tid)
{
	uint16_t m = method & 0x0fff;
	uint16_t t = (uint16_t)((m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) |
				((cls & 1) << 4) | ((cls & 2) << 7));

	*w = (struct stun_writer){ .buf = buf, .cap = cap };
	if (!buf || cap < STUN_HEADER_LEN) {
		w->err = ENOSPC;
		return;
	}
	wr16(buf, t);
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC);
	if (tid)
		memcpy(buf + 8, tid, STUN_TID_LEN);
	else if (RAND_bytes(buf + 8, STUN_TID_LEN) != 1)
		w->err = EIO;
	w->len = STUN_HEADER_LEN;
}

void stun_put(struct stun_writer *w, uint16_t type, const void *val, size_t len)
{
	size_t total = 4 + pad4(len);

	if (w->err)
		return;
	if (len > 0xffff || w->len + total > w->cap || w->len + total - STUN_HEADER_LEN > 0xffff) {
		w->err = ENOSPC;
		return;
	}
	wr16(w->buf + w->len, type);
	wr16(w->buf + w->len + 2, (uint16_t)len);
	if (len)
		memcpy(w->buf + w->len + 4, val, len);
	memset(w->buf + w->len + 4 + len, 0, pad4(len) - len);
	w->len += total;
}

void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	stun_put(w, type, b, sizeof(b));
}

void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	wr32(b, (uint32_t)(v >> 32));
	wr32(b + 4, (uint32_t)v);
	stun_put(w, type, b, sizeof(b));
}

void stun_put_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa)
{
	uint8_t b[20] = { 0 };

	if (w->err)
		return;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		b[1] = 0x01;
		wr16(b + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC >> 16));
		wr32(b + 4, ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC);
		stun_put(w, type, b, 8);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		uint8_t mask[16];

		wr32(mask, STUN_MAGIC);
		memcpy(mask + 4, w->buf + 8, STUN_TID_LEN);
		b[1] = 0x02;
		wr16(b + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC >> 16));
		for (int i = 0; i < 16; i++)
			b[4 + i] = sin6->sin6_addr.s6_addr[i] ^ mask[i];
		stun_put(w, type, b, 20);
	} else {
		w->err = EAFNOSUPPORT;
	}
}

void stun_put_error(struct stun_writer *w, unsigned code, const char *reason)
{
	uint8_t b[4 + 128] = { 0 };
	size_t rlen = reason ? strlen(reason) : 0;

	if (code < 300 || code > 699) {
		if (!w->err)
			w->err = EINVAL;
		return;
	}
	if (rlen > sizeof(b) - 4)
		rlen = sizeof(b) - 4;
	b[2] = (uint8_t)(code / 100);
	b[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(b + 4, reason, rlen);
	stun_put(w, STUN_ATTR_ERROR_CODE, b, 4 + rlen);
}

int stun_writer_finish(struct stun_writer *w, const void *key, size_t keylen,
		       bool fingerprint, size_t *len)
{
	if (!w->err && key) {
		uint8_t mac[EVP_MAX_MD_SIZE];
		unsigned maclen = 0;

		if (w->len + 4 + INTEGRITY_LEN > w->cap || keylen > INT32_MAX) {
			w->err = ENOSPC;
		} else {
			wr16(w->buf + 2, (uint16_t)(w->len + 4 + INTEGRITY_LEN - STUN_HEADER_LEN));
			if (!HMAC(EVP_sha1(), key, (int)keylen, w->buf, w->len, mac, &maclen))
				w->err = EIO;
			else
				stun_put(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, INTEGRITY_LEN);
		}
	}
	if (!w->err && fingerprint) {
		if (w->len + 8 > w->cap) {
			w->err = ENOSPC;
		} else {
			wr16(w->buf + 2, (uint16_t)(w->len + 8 - STUN_HEADER_LEN));
			stun_put_u32(w, STUN_ATTR_FINGERPRINT,
				     stun_crc32(w->buf, w->len) ^ FINGERPRINT_XOR);
		}
	}
	if (w->err)
		return w->err;
	wr16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	*len = w->len;
	return 0;
}
