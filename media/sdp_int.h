/* sdp_int.h - what sdp.c, sdp_parse.c and sdp_build.c share: model storage,
 * bounded arrays, the character classes both the parser and the writer
 * check (so that whatever is written parses again), and candidates.
 * Not for use outside media/sdp*.c. */
#ifndef PARLEY_MEDIA_SDP_INT_H
#define PARLEY_MEDIA_SDP_INT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "media/sdp.h"

/* Length limits of single values, checked by parser and writer alike. */
#define SDP_TOKEN_MAX 64      /* mid, msid ids, rid, semantics, kind, proto */
#define SDP_VALUE_MAX 1024    /* fmtp, URIs, cname, addresses, free text */
#define SDP_UFRAG_MIN 4
#define SDP_PWD_MIN 22
#define SDP_ICE_MAX 256

/* A new empty model that owns its storage (s->priv). Never fails. */
struct sdp *sdp_model_new(void);

/* A copy of `str` (NULL gives NULL) kept until sdp_free(s). */
const char *sdp_model_str(struct sdp *s, const char *str);
const char *sdp_model_strn(struct sdp *s, const char *str, size_t n);
const char *sdp_model_printf(struct sdp *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Appends a zeroed element of `size` bytes to the array *arr of *n elements
 * (growing it by doubling), or returns NULL when *n already is `max`. The
 * array is g_free'd by sdp_free. */
void *sdp_arr_push(void *arr /* void ** */, unsigned *n, size_t size, unsigned max);

/* Character classes. Each checks the whole NUL-terminated string and its
 * length bounds. */
bool sdp_is_token(const char *s, size_t min, size_t max);   /* RFC 4566 token */
bool sdp_is_ice_chars(const char *s, size_t min, size_t max); /* ALPHA DIGIT + / */
bool sdp_is_proto(const char *s);                           /* token *("/" token), 1-64 */
bool sdp_is_visible(const char *s, size_t min, size_t max); /* 0x21-0x7e and >= 0x80 */
bool sdp_is_text(const char *s, size_t min, size_t max);    /* visible or space */
bool sdp_is_digits(const char *s, size_t min, size_t max);
bool sdp_is_rid(const char *s);                             /* 1-64 ALPHA DIGIT - _ */
/* Text that survives the parser's trimming: no leading or trailing space. */
bool sdp_is_value(const char *s, size_t max);

/* The profile enum of an m= proto name. */
enum sdp_proto sdp_proto_of(const char *proto);

/* Splits `s` in place at runs of spaces into at most `max` tokens. Returns
 * the number of tokens, or max + 1 when there are more. */
unsigned sdp_split(char *s, char **tok, unsigned max);

/* True when `c` matches a codec capability: name (case-insensitive), clock
 * rate, channels (0: any) and the identity parameters of `fmtp` (NULL: none). */
bool sdp_codec_matches(const struct sdp_codec *c, const char *name, uint32_t clock_rate,
		       unsigned channels, const char *fmtp);

/* Strict unsigned decimal: digits only, no sign, no spaces, <= max. */
bool sdp_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Parses "sha-256 AB:CD:..." into *fp. Returns NULL or a reason. */
const char *sdp_fingerprint_parse(struct sdp_fingerprint *fp, const char *value);

/* Appends "sha-256 AB:CD:..." to `out`. Returns false if *fp is unusable. */
bool sdp_fingerprint_append(GString *out, const struct sdp_fingerprint *fp);

/* Parses the value of a candidate attribute (the text after "candidate:")
 * into *c, copying strings into `s`. Returns NULL or a reason. */
const char *sdp_candidate_parse_value(struct sdp_candidate *c, const char *value, struct sdp *s);

/* Appends "candidate:..." to `out`. Returns false if *c cannot be written. */
bool sdp_candidate_append(GString *out, const struct sdp_candidate *c);

/* The static encoding name, clock rate and channels of payload types 0-34
 * (RFC 3551), or NULL. */
const char *sdp_static_codec(unsigned pt, uint32_t *clock_rate, uint8_t *channels);

/* The fmtp parameters split at ';' and '=' (spaces trimmed) into c->params,
 * and c->apt from "apt=". Returns NULL or a reason. */
const char *sdp_fmtp_split(struct sdp_codec *c, const char *fmtp, struct sdp *s);

/* True when the parser accepts `fmtp` as an a=fmtp value. */
bool sdp_fmtp_check(const char *fmtp);

/* The SDP_FB_* bit of an rtcp-fb value ("nack pli"), or 0. */
unsigned sdp_fb_bit(const char *value);
/* The rtcp-fb text of one SDP_FB_* bit. */
const char *sdp_fb_name(unsigned bit);

/* Fills c->rtx_pt of every codec from the rtx codecs' apt. */
void sdp_media_link_rtx(struct sdp_media *m);

#endif
