/* transport_sdp.c - see transport_sdp.h. */
#include "media/transport_sdp.h"

#include <errno.h>
#include <string.h>

/* Our end of a transport as the SDP builders take it. The candidates are
 * parsed from libnice's lines (see the header for ownership). */
int transport_sdp_local(struct transport *t, const struct dtls_cert *cert,
			struct sdp_transport_params *lp, GPtrArray *hold)
{
	char fp[DTLS_FP_STR_MAX];
	size_t fp_len = 0;
	const char *const *cands;
	unsigned n;
	struct sdp_candidate *arr;

	memset(lp, 0, sizeof(*lp));
	lp->ice_ufrag = transport_ice_ufrag(t);
	lp->ice_pwd = transport_ice_pwd(t);
	lp->ice_lite = transport_ice_lite(t);
	if (dtls_cert_fingerprint(cert, "sha-256", fp, sizeof(fp)) ||
	    dtls_fingerprint_parse(fp, lp->fingerprint.bytes, sizeof(lp->fingerprint.bytes),
				   &fp_len))
		return EIO;
	g_strlcpy(lp->fingerprint.alg, "sha-256", sizeof(lp->fingerprint.alg));
	lp->fingerprint.len = (uint8_t)fp_len;
	cands = transport_local_candidates(t, &n);
	arr = g_new0(struct sdp_candidate, n ? n : 1);
	g_ptr_array_add(hold, arr);
	for (unsigned i = 0; i < n; i++) {
		struct sdp_candidate *c;

		if (sdp_candidate_parse(&c, cands[i], strlen(cands[i]), NULL, 0))
			continue;
		arr[lp->n_candidates++] = *c;
		g_ptr_array_add(hold, c); /* keeps the strings c points to */
	}
	lp->candidates = arr;
	lp->end_of_candidates = true;
	return 0;
}

void transport_sdp_hold_free(GPtrArray *hold)
{
	/* index 0 is the plain array; the rest are parsed candidates */
	for (guint i = 1; i < hold->len; i++)
		sdp_candidate_free(g_ptr_array_index(hold, i));
	if (hold->len)
		g_free(g_ptr_array_index(hold, 0));
	g_ptr_array_free(hold, TRUE);
}

/* The remote end's ICE credentials, fingerprint and setup from a parsed
 * description: the first section with them, else the session level. */
int transport_sdp_apply_remote(struct transport *t, const struct sdp *s, bool is_answer)
{
	const char *ufrag = s->ice_ufrag, *pwd = s->ice_pwd;
	const struct sdp_fingerprint *fp = &s->fingerprint;
	enum sdp_setup setup = s->setup;
	enum dtls_role role;

	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		if (m->port == 0)
			continue;
		if (m->ice_ufrag) {
			ufrag = m->ice_ufrag;
			pwd = m->ice_pwd;
		}
		if (m->fingerprint.len)
			fp = &m->fingerprint;
		if (m->setup)
			setup = m->setup;
		break;
	}
	if (!ufrag || !pwd || !fp->len)
		return EPROTO;
	if (s->ice_lite)
		transport_set_remote_lite(t);
	/* Offer actpass/active: we are the DTLS server. Answer active: server. */
	if (setup == SDP_SETUP_PASSIVE)
		role = DTLS_ROLE_CLIENT;
	else if (setup == SDP_SETUP_ACTIVE || (!is_answer && setup == SDP_SETUP_ACTPASS))
		role = DTLS_ROLE_SERVER;
	else
		return EPROTO;
	return transport_set_remote(t, ufrag, pwd, fp->alg, fp->bytes, fp->len, role);
}

void transport_sdp_add_candidates(struct transport *t, const struct sdp *s)
{
	bool done = s->end_of_candidates;

	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		for (unsigned j = 0; j < m->n_candidates; j++) {
			char *line = NULL;

			if (sdp_candidate_write(&m->candidates[j], &line) == 0)
				transport_add_remote_candidate(t, line);
			g_free(line);
		}
		done = done || m->end_of_candidates;
	}
	if (done)
		transport_remote_gathering_done(t);
}
