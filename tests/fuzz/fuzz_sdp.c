/* fuzz_sdp.c - libFuzzer target for media/sdp: the SDP, trickle fragment and
 * candidate parsers on arbitrary bytes. What parses must write back, and
 * the text written must parse again; an answer built from a parsed offer
 * must write and parse too. A broken invariant aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ext_uris[] = {
	SDP_EXT_MID, SDP_EXT_RID, SDP_EXT_RRID, SDP_EXT_ABS_SEND_TIME, SDP_EXT_TWCC,
	SDP_EXT_AUDIO_LEVEL, SDP_EXT_VIDEO_ORIENTATION, NULL,
};
static const struct sdp_codec_cap audio_caps[] = {
	{ "opus", 48000, 2, NULL, SDP_FB_TRANSPORT_CC, false },
	{ "PCMU", 8000, 0, NULL, 0, false },
};
static const struct sdp_codec_cap video_caps[] = {
	{ "VP8", 90000, 0, NULL, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC, true },
	{ "H264", 90000, 0, "packetization-mode=1;profile-level-id=42e01f", SDP_FB_NACK, true },
	{ "VP9", 90000, 0, "profile-id=0", SDP_FB_NACK, true },
};
static const struct sdp_candidate cand = {
	.foundation = "1", .component = 1, .transport = SDP_CAND_UDP, .priority = 1,
	.address = "127.0.0.1", .port = 40000, .type = SDP_CAND_HOST,
	.generation = -1, .network_id = -1, .network_cost = -1,
};

static void must(bool ok)
{
	if (!ok)
		abort();
}

/* Writes `s` (must work), parses the text (must work). */
static void write_reparse(const struct sdp *s, bool frag)
{
	char *text = NULL;
	struct sdp *back = NULL;
	int rc = frag ? sdp_frag_write(s, &text) : sdp_write(s, &text);

	must(rc == 0 || rc == EMSGSIZE);
	if (rc)
		return;
	rc = frag ? sdp_frag_parse(&back, text, strlen(text), NULL, 0) :
		    sdp_parse(&back, text, strlen(text), NULL, 0);
	must(rc == 0 && back->n_media == s->n_media);
	sdp_free(back);
	g_free(text);
}

static void answer(const struct sdp *offer, uint8_t flags)
{
	struct sdp_answer_params p;
	struct sdp *a = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	p.local.ice_ufrag = "fuzz";
	p.local.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
	strcpy(p.local.fingerprint.alg, "sha-256");
	p.local.fingerprint.len = 32;
	p.local.candidates = &cand;
	p.local.n_candidates = 1;
	p.local.end_of_candidates = true;
	p.audio = (struct sdp_media_caps){ audio_caps, G_N_ELEMENTS(audio_caps), 0, ext_uris,
					   SDP_DIR_RECVONLY, false };
	p.video = (struct sdp_media_caps){ video_caps, G_N_ELEMENTS(video_caps), flags & 3,
					   ext_uris, (flags & 4) ? SDP_DIR_SENDRECV : SDP_DIR_RECVONLY,
					   true };
	p.bundle_only = flags & 8;
	p.datachannel = flags & 16;
	rc = sdp_answer_build(&a, offer, &p);
	must(rc == 0 || rc == EPROTO || rc == EMSGSIZE);
	if (rc)
		return;
	write_reparse(a, false);
	sdp_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct sdp *s = NULL;
	struct sdp_candidate *c = NULL;
	char err[160];

	if (sdp_parse(&s, text, size, err, sizeof(err)) == 0) {
		for (unsigned i = 0; i < s->n_media; i++) {
			sdp_codec_find(&s->media[i], "H264", 90000, 0, "profile-level-id=42e01f");
			sdp_extmap_id(&s->media[i], SDP_EXT_MID);
		}
		write_reparse(s, false);
		answer(s, size ? data[size - 1] : 0);
		sdp_free(s);
	}
	if (sdp_frag_parse(&s, text, size, err, sizeof(err)) == 0) {
		write_reparse(s, true);
		sdp_free(s);
	}
	if (sdp_candidate_parse(&c, text, size, err, sizeof(err)) == 0) {
		char *line = NULL;
		struct sdp_candidate *back = NULL;

		must(sdp_candidate_write(c, &line) == 0);
		must(sdp_candidate_parse(&back, line, strlen(line), NULL, 0) == 0);
		sdp_candidate_free(back);
		sdp_candidate_free(c);
		g_free(line);
	}
	return 0;
}
