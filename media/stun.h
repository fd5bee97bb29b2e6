/* stun.h - STUN messages (RFC 8489) as ICE uses them (RFC 8445 §7):
 * parse a datagram into a view of its header and the attributes ICE
 * reads, check its MESSAGE-INTEGRITY (HMAC-SHA1 with the short-term
 * password) and FINGERPRINT, and write requests, responses and errors.
 *
 * Nothing is allocated: a view points into the caller's buffer, a writer
 * writes into the caller's buffer. Every function may run on any thread. */
#ifndef PARLEY_MEDIA_STUN_H
#define PARLEY_MEDIA_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_TID_LEN 12

#define STUN_BINDING 0x001

enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* Attributes (RFC 8489 §18.3, RFC 8445 §16.1) */
enum {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* Largest USERNAME (RFC 8489 §14.3: under 513 bytes). */
#define STUN_MAX_USERNAME 512
/* Unknown comprehension-required attributes a view remembers (for a 420). */
#define STUN_MAX_UNKNOWN 4

/* A parsed message: pointers into the parsed buffer. */
struct stun_msg {
	const uint8_t *buf; /* borrowed: the whole message */
	size_t len;
	uint16_t method;
	enum stun_class cls;
	const uint8_t *tid; /* STUN_TID_LEN bytes */
	const uint8_t *username; /* not NUL-terminated; NULL none */
	size_t username_len;
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool ice_controlling, ice_controlled;
	uint64_t tiebreaker;
	bool has_error;
	unsigned error_code; /* 300..699 */
	bool has_mapped;     /* XOR-MAPPED-ADDRESS, decoded */
	struct sockaddr_storage mapped;
	size_t integrity_off;   /* offset of MESSAGE-INTEGRITY's header; 0 none */
	bool has_fingerprint;   /* present and checked */
	unsigned n_unknown;     /* comprehension-required attributes not understood */
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/* Whether a datagram looks like STUN (first two bits 0, the magic cookie,
 * a length that fits): a cheap test before stun_parse, for demultiplexing
 * (RFC 7983 puts STUN at first bytes 0..3). */
bool stun_is(const uint8_t *buf, size_t len);

/* Parses `buf`. Returns 0, or EBADMSG: not STUN, truncated or overlong
 * attributes, a FINGERPRINT that does not match or is not last, a
 * MESSAGE-INTEGRITY of the wrong size, an oversized USERNAME, a malformed
 * address or error code. Attributes after MESSAGE-INTEGRITY other than
 * FINGERPRINT are ignored (RFC 8489 §14.5). */
int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);

/* Checks MESSAGE-INTEGRITY with a short-term key (the password). Returns 0,
 * ENOENT (the message has none) or EACCES (it does not match). */
int stun_check_integrity(const struct stun_msg *m, const void *key, size_t keylen);

/* The USERNAME's part before the colon ("LFRAG:RFRAG", RFC 8445 §7.2.2) as
 * a NUL-terminated string in `out`. Returns 0, ENOENT (no USERNAME) or
 * EBADMSG (no colon, an empty part, or longer than `size`). */
int stun_username_local(const struct stun_msg *m, char *out, size_t size);

/* Writes one message into a caller's buffer. Errors stick: put calls after
 * one that did not fit do nothing, and stun_writer_finish reports it. */
struct stun_writer {
	uint8_t *buf; /* borrowed */
	size_t cap;
	size_t len;
	int err;
};

/* Starts a message; `tid` NULL makes a random transaction id. */
void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t method,
		      enum stun_class cls, const uint8_t *tid);
void stun_put(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v);
/* XOR-MAPPED-ADDRESS (or another XOR address type) for an IPv4 or IPv6
 * address; another family sets EAFNOSUPPORT. */
void stun_put_xor_addr(struct stun_writer *w, uint16_t type, const struct sockaddr *sa);
/* ERROR-CODE (300..699) with its reason phrase. */
void stun_put_error(struct stun_writer *w, unsigned code, const char *reason);
/* Adds MESSAGE-INTEGRITY (when `key` is not NULL) and FINGERPRINT (when
 * asked), and sets *len. Returns 0, ENOSPC (the buffer is too small) or
 * the first error of a put. */
int stun_writer_finish(struct stun_writer *w, const void *key, size_t keylen,
		       bool fingerprint, size_t *len);

/* CRC-32 (ISO-HDLC, as in FINGERPRINT before the XOR). */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

#endif
