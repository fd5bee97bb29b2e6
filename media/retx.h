/* retx.h - retransmission buffer: keeps the last packets of one published
 * stream so that a consumer's NACK is answered without asking the
 * publisher. Indexed by RTP sequence number in a power-of-two ring. */
#ifndef PARLEY_MEDIA_RETX_H
#define PARLEY_MEDIA_RETX_H

#include <stdint.h>

struct pktbuf;
struct retx; /* opaque */

/* A buffer for up to `capacity` packets (rounded up to a power of two,
 * 16..32768), each kept at most `max_age_us` after it was put (0: until
 * overwritten): a NACK for an older packet is too late to help, and the
 * pooled buffers go back to work. Returns 0 or EINVAL. @thread owner */
int retx_alloc(struct retx **out, unsigned capacity, int64_t max_age_us);

/* Releases the buffer and the references it holds. NULL is fine. @thread owner */
void retx_free(struct retx *r);

/* Keeps a reference to `p` under `seq`, replacing what the slot held (an
 * older packet, or a duplicate), and lets go of packets older than the
 * buffer's age limit (a few per call, oldest sequence numbers first).
 * @thread owner */
void retx_put(struct retx *r, uint16_t seq, struct pktbuf *p /* ref taken */, int64_t now_us);

/* Drops every packet (the stream's sequence numbers start over). @thread owner */
void retx_clear(struct retx *r);

/* The packet stored under `seq`, or NULL if it is gone or was never
 * stored. Borrowed: valid until the next retx_put. @thread owner */
struct pktbuf *retx_get(const struct retx *r, uint16_t seq);

/* Packets held now (for tests and figures). @thread owner */
unsigned retx_count(const struct retx *r);

#endif
