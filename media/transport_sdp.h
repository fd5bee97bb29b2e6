/* transport_sdp.h - a transport and SDP: our end (credentials, fingerprint,
 * candidates) as the SDP builders take it, and a remote description applied
 * to a transport (credentials, fingerprint, DTLS role, candidates). Shared
 * by the SFU's connections and by parley-bench's client peers. */
#ifndef PARLEY_MEDIA_TRANSPORT_SDP_H
#define PARLEY_MEDIA_TRANSPORT_SDP_H

#include <glib.h>
#include <stdbool.h>

#include "media/dtls.h"
#include "media/sdp.h"
#include "media/transport.h"

/* Fills *lp with t's ICE credentials, cert's sha-256 fingerprint and the
 * candidates gathered so far (end-of-candidates set). What lp points to is
 * kept in `hold` (a new GPtrArray): release it with transport_sdp_hold_free
 * once the SDP is built. Returns 0 or EIO. @thread t's context */
int transport_sdp_local(struct transport *t, const struct dtls_cert *cert,
			struct sdp_transport_params *lp, GPtrArray *hold);
void transport_sdp_hold_free(GPtrArray *hold);

/* The remote end's ICE credentials, fingerprint and a=setup from a parsed
 * description (the first section with them, else the session level), with
 * our DTLS role following from setup and whether it is an answer. Returns
 * 0, EPROTO (missing or contradictory) or what transport_set_remote returns. */
int transport_sdp_apply_remote(struct transport *t, const struct sdp *s, bool is_answer);

/* Hands every candidate of the description to the transport, and the end
 * of candidates when the description says so. */
void transport_sdp_add_candidates(struct transport *t, const struct sdp *s);

#endif
