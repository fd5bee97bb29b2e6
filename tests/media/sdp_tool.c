/* sdp_tool.c - drives media/sdp from the command line, for the browser
 * acceptance check (tests/media/sdp_browser_check.mjs) and by hand:
 *
 *   sdp_tool answer [publish|recv|audio] < offer   the server's answer to an
 *                                  offer (audio: publish, video and data rejected)
 *   sdp_tool offer                            a server subscribe offer
 *   sdp_tool parse < sdp                      parse, print a JSON summary
 *   sdp_tool frag < sdpfrag                   parse a trickle fragment, write it back
 *
 * The answer accepts Opus and VP8 (with rtx), the usual header extensions,
 * simulcast and a data channel, with made-up ICE credentials, fingerprint
 * and one host candidate: enough for a browser to accept the description,
 * not to connect. Exit status 0, or 1 with a message on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "media/sdp.h"

static const char *const ext_uris[] = {
	SDP_EXT_MID, SDP_EXT_RID, SDP_EXT_RRID, SDP_EXT_ABS_SEND_TIME, SDP_EXT_TWCC,
	SDP_EXT_AUDIO_LEVEL, SDP_EXT_VIDEO_ORIENTATION, NULL,
};

static const struct sdp_codec_cap audio_caps[] = {
	{ "opus", 48000, 2, NULL, SDP_FB_TRANSPORT_CC | SDP_FB_NACK, false },
};

static const struct sdp_codec_cap video_caps[] = {
	{ "VP8", 90000, 0, NULL,
	  SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC,
	  true },
};

static void local_transport(struct sdp_transport_params *t, struct sdp_candidate *cand)
{
	memset(cand, 0, sizeof(*cand));
	cand->foundation = "1";
	cand->component = 1;
	cand->transport = SDP_CAND_UDP;
	cand->priority = 2130706431;
	cand->address = "127.0.0.1";
	cand->port = 40000;
	cand->type = SDP_CAND_HOST;
	cand->generation = cand->network_id = cand->network_cost = -1;
	memset(t, 0, sizeof(*t));
	t->ice_ufrag = "prly";
	t->ice_pwd = "parleyparleyparleyparley";
	strcpy(t->fingerprint.alg, "sha-256");
	t->fingerprint.len = 32;
	for (unsigned i = 0; i < 32; i++)
		t->fingerprint.bytes[i] = (uint8_t)(i * 7 + 3);
	t->candidates = cand;
	t->n_candidates = 1;
	t->end_of_candidates = true;
}

static char *read_stdin(size_t *len)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		g_string_append_len(s, buf, (gssize)n);
	*len = s->len;
	return g_string_free(s, FALSE);
}

static struct sdp *parse_stdin(int (*parse)(struct sdp **, const char *, size_t, char *, size_t))
{
	size_t len;
	char *text = read_stdin(&len);
	char err[256];
	struct sdp *s = NULL;
	int rc = parse(&s, text, len, err, sizeof(err));

	if (rc)
		fprintf(stderr, "parse: %s (%s)\n", err, g_strerror(rc));
	g_free(text);
	return s;
}

static int print_model(const struct sdp *s, int rc)
{
	char *text = NULL;

	if (!rc)
		rc = sdp_write(s, &text);
	if (rc) {
		fprintf(stderr, "build: %s\n", g_strerror(rc));
		return 1;
	}
	fputs(text, stdout);
	g_free(text);
	return 0;
}

static int cmd_answer(const char *mode)
{
	struct sdp *offer = parse_stdin(sdp_parse);
	struct sdp *answer = NULL;
	struct sdp_answer_params p;
	struct sdp_candidate cand;
	bool recv = mode && strcmp(mode, "recv") == 0;
	bool audio_only = mode && strcmp(mode, "audio") == 0;
	int rc;

	if (!offer)
		return 1;
	memset(&p, 0, sizeof(p));
	local_transport(&p.local, &cand);
	p.sess_id = "4242";
	p.audio = (struct sdp_media_caps){ audio_caps, G_N_ELEMENTS(audio_caps), 0, ext_uris,
					   recv ? SDP_DIR_SENDONLY : SDP_DIR_RECVONLY, false };
	p.video = (struct sdp_media_caps){ video_caps, G_N_ELEMENTS(video_caps), 0, ext_uris,
					   recv ? SDP_DIR_SENDONLY : SDP_DIR_RECVONLY, true };
	p.bundle_only = true;
	p.datachannel = !audio_only;
	if (audio_only)
		p.video.n_codecs = 0;
	rc = sdp_answer_build(&answer, offer, &p);
	rc = print_model(answer, rc);
	sdp_free(answer);
	sdp_free(offer);
	return rc;
}

static int cmd_offer(void)
{
	static const struct sdp_offer_codec opus = { 111, "opus", 48000, 2,
						     "minptime=10;useinbandfec=1",
						     SDP_FB_TRANSPORT_CC, 0 };
	static const struct sdp_offer_codec vp8 = {
		96, "VP8", 90000, 0, NULL,
		SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_TRANSPORT_CC, 97
	};
	static const struct sdp_extmap aext[] = {
		{ 1, SDP_DIR_NONE, SDP_EXT_MID, NULL },
		{ 3, SDP_DIR_NONE, SDP_EXT_TWCC, NULL },
		{ 4, SDP_DIR_NONE, SDP_EXT_AUDIO_LEVEL, NULL },
	};
	static const struct sdp_extmap vext[] = {
		{ 1, SDP_DIR_NONE, SDP_EXT_MID, NULL },
		{ 2, SDP_DIR_NONE, SDP_EXT_ABS_SEND_TIME, NULL },
		{ 3, SDP_DIR_NONE, SDP_EXT_TWCC, NULL },
		{ 5, SDP_DIR_NONE, SDP_EXT_VIDEO_ORIENTATION, NULL },
	};
	struct sdp_offer_media media[4] = {
		{ .kind = SDP_KIND_AUDIO, .mid = "0", .dir = SDP_DIR_SENDONLY, .codecs = &opus,
		  .n_codecs = 1, .extmaps = aext, .n_extmaps = G_N_ELEMENTS(aext),
		  .ssrc = 1111, .cname = "parley", .stream_id = "alice", .track_id = "alice-mic" },
		{ .kind = SDP_KIND_VIDEO, .mid = "1", .dir = SDP_DIR_SENDONLY, .codecs = &vp8,
		  .n_codecs = 1, .extmaps = vext, .n_extmaps = G_N_ELEMENTS(vext),
		  .ssrc = 2222, .rtx_ssrc = 3333, .cname = "parley", .stream_id = "alice",
		  .track_id = "alice-cam", .rtcp_rsize = true },
		{ .kind = SDP_KIND_VIDEO, .mid = "2", .dir = SDP_DIR_INACTIVE, .codecs = &vp8,
		  .n_codecs = 1, .extmaps = vext, .n_extmaps = G_N_ELEMENTS(vext) },
		{ .kind = SDP_KIND_APPLICATION, .mid = "3" },
	};
	struct sdp_offer_params p;
	struct sdp_candidate cand;
	struct sdp *offer = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	local_transport(&p.local, &cand);
	p.sess_id = "4343";
	p.sess_version = "2";
	p.media = media;
	p.n_media = G_N_ELEMENTS(media);
	p.bundle = true;
	p.extmap_allow_mixed = true;
	rc = sdp_offer_build(&offer, &p);
	rc = print_model(offer, rc);
	sdp_free(offer);
	return rc;
}

static void print_codecs(const struct sdp_media *m)
{
	for (unsigned j = 0; j < m->n_codecs; j++) {
		const struct sdp_codec *c = &m->codecs[j];

		printf("%s{\"pt\":%u,\"name\":\"%s\",\"clock\":%u,\"rtx\":%d,\"fb\":%u}", j ? "," : "",
		       c->pt, c->name ? c->name : "", c->clock_rate, c->rtx_pt, c->fb);
	}
}

static int cmd_parse(void)
{
	struct sdp *s = parse_stdin(sdp_parse);

	if (!s)
		return 1;
	printf("{\"media\":[");
	for (unsigned i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		printf("%s{\"mid\":\"%s\",\"port\":%u,\"dir\":\"%s\",\"setup\":\"%s\",\"codecs\":[",
		       i ? "," : "", m->mid ? m->mid : "", m->port, sdp_dir_name(m->dir),
		       sdp_setup_name(m->setup) ? sdp_setup_name(m->setup) : "");
		print_codecs(m);
		printf("],\"extmaps\":%u,\"rids\":%u}", m->n_extmaps, m->n_rids);
	}
	printf("],\"bundle\":%u}\n", s->n_bundle);
	sdp_free(s);
	return 0;
}

static int cmd_frag(void)
{
	struct sdp *f = parse_stdin(sdp_frag_parse);
	char *text = NULL;
	int rc;

	if (!f)
		return 1;
	rc = sdp_frag_write(f, &text);
	if (!rc)
		fputs(text, stdout);
	g_free(text);
	sdp_free(f);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "answer") == 0)
		return cmd_answer(argc > 2 ? argv[2] : NULL);
	if (strcmp(cmd, "offer") == 0)
		return cmd_offer();
	if (strcmp(cmd, "parse") == 0)
		return cmd_parse();
	if (strcmp(cmd, "frag") == 0)
		return cmd_frag();
	fprintf(stderr, "usage: sdp_tool answer [publish|recv|audio] | offer | parse | frag\n");
	return 2;
}
