/* test_sdp.c - media/sdp: the model read from real browser descriptions
 * (tests/data/sdp, captured from Chromium and Firefox), answers and offers
 * built and parsed again, trickle fragments, candidates, and malformed
 * input (each rejected with EBADMSG naming its line). Needs
 * PARLEY_SOURCE_DIR (set by CTest) to find the data. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "media/sdp.h"

static const char *const data_files[] = {
	"chrome_offer_av_dc.sdp",    "chrome_offer_simulcast.sdp",
	"chrome_offer_recvonly.sdp", "chrome_answer_to_server_offer.sdp",
	"firefox_offer_av_dc.sdp",   "firefox_offer_simulcast.sdp",
	"firefox_offer_recvonly.sdp", "firefox_answer_to_server_offer.sdp",
};

static char *load(const char *name, size_t *len)
{
	const char *dir = getenv("PARLEY_SOURCE_DIR");
	char *path, *text = NULL;
	gsize n = 0;

	if (!dir)
		print_error("PARLEY_SOURCE_DIR is not set\n");
	assert_non_null(dir);
	path = g_build_filename(dir, "tests", "data", "sdp", name, NULL);
	if (!g_file_get_contents(path, &text, &n, NULL))
		print_error("cannot read %s\n", path);
	assert_non_null(text);
	g_free(path);
	if (len)
		*len = n;
	return text;
}

static struct sdp *parse_ok(const char *text, size_t len)
{
	struct sdp *s = NULL;
	char err[256] = "";
	int rc = sdp_parse(&s, text, len, err, sizeof(err));

	if (rc)
		print_error("parse: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static struct sdp *parse_file(const char *name)
{
	size_t len;
	char *text = load(name, &len);
	struct sdp *s = parse_ok(text, len);

	g_free(text);
	return s;
}

static struct sdp *parse_str(const char *text)
{
	return parse_ok(text, strlen(text));
}

/* Parses `text`, expects EBADMSG with an error starting "line <line>:". */
static void parse_bad_len(const char *text, size_t len, unsigned line)
{
	struct sdp *s = NULL;
	char err[256] = "", want[32];
	int rc = sdp_parse(&s, text, len, err, sizeof(err));

	snprintf(want, sizeof(want), "line %u:", line);
	if (rc != EBADMSG || strncmp(err, want, strlen(want)) != 0)
		print_error("input %.60s...: rc %d, \"%s\", wanted %s\n", text, rc, err, want);
	assert_int_equal(rc, EBADMSG);
	assert_null(s);
	assert_memory_equal(err, want, strlen(want));
}

static void parse_bad(const char *text, unsigned line)
{
	parse_bad_len(text, strlen(text), line);
}

static char *write_ok(const struct sdp *s)
{
	char *text = NULL;
	int rc = sdp_write(s, &text);

	assert_int_equal(rc, 0);
	assert_non_null(text);
	return text;
}

/* ---- server choices used by the answer tests -------------------------- */

static const char *const ext_uris[] = {
	SDP_EXT_MID, SDP_EXT_RID, SDP_EXT_RRID, SDP_EXT_ABS_SEND_TIME, SDP_EXT_TWCC,
	SDP_EXT_AUDIO_LEVEL, SDP_EXT_VIDEO_ORIENTATION, NULL,
};
static const struct sdp_codec_cap opus_cap[] = {
	{ "opus", 48000, 2, NULL, SDP_FB_TRANSPORT_CC, false },
};
static const struct sdp_codec_cap vp8_cap[] = {
	{ "VP8", 90000, 0, NULL, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC, true },
};
static struct sdp_candidate host_cand = {
	.foundation = "1", .component = 1, .transport = SDP_CAND_UDP, .priority = 2130706431,
	.address = "192.0.2.10", .port = 40000, .type = SDP_CAND_HOST,
	.generation = -1, .network_id = -1, .network_cost = -1,
};

static void local_transport(struct sdp_transport_params *t)
{
	memset(t, 0, sizeof(*t));
	t->ice_ufrag = "srvU";
	t->ice_pwd = "serverpasswordserverpw";
	strcpy(t->fingerprint.alg, "sha-256");
	t->fingerprint.len = 32;
	memset(t->fingerprint.bytes, 0xab, 32);
	t->candidates = &host_cand;
	t->n_candidates = 1;
	t->end_of_candidates = true;
}

static void answer_params(struct sdp_answer_params *p)
{
	memset(p, 0, sizeof(*p));
	local_transport(&p->local);
	p->sess_id = "77";
	p->audio = (struct sdp_media_caps){ opus_cap, 1, 0, ext_uris, SDP_DIR_RECVONLY, false };
	p->video = (struct sdp_media_caps){ vp8_cap, 1, 0, ext_uris, SDP_DIR_RECVONLY, true };
	p->datachannel = true;
	p->bundle_only = true;
}

/* Builds the answer, writes it, parses it again and returns that. */
static struct sdp *answer_reparsed(const struct sdp *offer, const struct sdp_answer_params *p)
{
	struct sdp *a = NULL, *back;
	char *text;

	assert_int_equal(sdp_answer_build(&a, offer, p), 0);
	text = write_ok(a);
	back = parse_str(text);
	assert_int_equal(back->n_media, a->n_media);
	g_free(text);
	sdp_free(a);
	return back;
}

/* ---- real offers ------------------------------------------------------ */

static void test_chrome_offer_session(void **state)
{
	struct sdp *s = parse_file("chrome_offer_av_dc.sdp");
	const struct sdp_media *d = sdp_media_by_mid(s, "2");

	assert_int_equal(s->n_media, 3);
	assert_int_equal(s->n_bundle, 3);
	assert_string_equal(s->bundle[2], "2");
	assert_true(s->extmap_allow_mixed);
	assert_true(s->ice_trickle);
	assert_false(s->ice_lite);
	assert_string_equal(s->msid_semantic, "WMS c96e5b3d-d553-4bbe-8159-8524c57b3faa");
	assert_null(sdp_media_by_mid(s, "3"));
	/* Data channel. */
	assert_int_equal(d->kind, SDP_KIND_APPLICATION);
	assert_int_equal(d->proto, SDP_PROTO_UDP_DTLS_SCTP);
	assert_string_equal(d->fmt, "webrtc-datachannel");
	assert_int_equal(d->sctp_port, 5000);
	assert_int_equal(d->max_message_size, 262144);
	assert_int_equal(d->n_codecs, 0);
	assert_string_equal(d->ice_ufrag, "eQO2");
	sdp_free(s);
}

static void test_chrome_offer_audio(void **state)
{
	struct sdp *s = parse_file("chrome_offer_av_dc.sdp");
	const struct sdp_media *a = sdp_media_by_mid(s, "0");
	const struct sdp_codec *c;

	assert_ptr_equal(a, &s->media[0]);
	assert_int_equal(a->kind, SDP_KIND_AUDIO);
	assert_int_equal(a->proto, SDP_PROTO_RTP_SAVPF);
	assert_int_equal(a->port, 39125);
	assert_int_equal(a->dir, SDP_DIR_SENDONLY);
	assert_string_equal(a->ice_ufrag, "eQO2");
	assert_string_equal(a->ice_pwd, "JZU5AmC9bPEfIjOoZehWaCMe");
	assert_string_equal(a->fingerprint.alg, "sha-256");
	assert_int_equal(a->fingerprint.len, 32);
	assert_int_equal(a->fingerprint.bytes[0], 0x9c);
	assert_int_equal(a->fingerprint.bytes[31], 0xd0);
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	assert_true(a->rtcp_mux && a->rtcp_rsize);
	assert_string_equal(a->msid_stream, "c96e5b3d-d553-4bbe-8159-8524c57b3faa");
	assert_string_equal(a->msid_track, "7c841bf8-fd94-41ca-ada3-21784809c0ef");
	/* Audio codecs: 111 63 9 0 8 13 110 126, in m= order. */
	assert_int_equal(a->n_codecs, 8);
	c = sdp_codec_find(a, "OPUS", 48000, 2, NULL);
	assert_ptr_equal(c, &a->codecs[0]);
	assert_int_equal(c->pt, 111);
	assert_string_equal(c->fmtp, "minptime=10;useinbandfec=1");
	assert_string_equal(sdp_codec_param(c, "useinbandfec"), "1");
	assert_int_equal(c->fb, SDP_FB_TRANSPORT_CC);
	assert_int_equal(c->rtx_pt, -1);
	c = sdp_codec_by_pt(a, 63);
	assert_string_equal(c->name, "red");
	assert_int_equal(c->channels, 2);
	assert_string_equal(c->params[0].key, "111/111");
	assert_null(c->params[0].value);
	c = sdp_codec_by_pt(a, 0);
	assert_string_equal(c->name, "PCMU");
	assert_int_equal(c->clock_rate, 8000);
	assert_int_equal(sdp_extmap_id(a, SDP_EXT_AUDIO_LEVEL), 1);
	assert_int_equal(sdp_extmap_id(a, SDP_EXT_MID), 4);
	assert_int_equal(sdp_extmap_id(a, SDP_EXT_RID), 0);
	assert_int_equal(a->n_ssrcs, 1);
	assert_int_equal(a->ssrcs[0].ssrc, 311360351u);
	assert_string_equal(a->ssrcs[0].cname, "SZG9eyT2c4jcyPT3");
	assert_string_equal(a->ssrcs[0].msid_track, "7c841bf8-fd94-41ca-ada3-21784809c0ef");
	/* Candidates. */
	assert_int_equal(a->n_candidates, 2);
	assert_string_equal(a->candidates[0].foundation, "2844416835");
	assert_int_equal(a->candidates[0].component, 1);
	assert_int_equal(a->candidates[0].transport, SDP_CAND_UDP);
	assert_int_equal(a->candidates[0].priority, 2122260223u);
	assert_string_equal(a->candidates[0].address, "127.0.0.1");
	assert_int_equal(a->candidates[0].port, 39125);
	assert_int_equal(a->candidates[0].type, SDP_CAND_HOST);
	assert_int_equal(a->candidates[0].generation, 0);
	assert_int_equal(a->candidates[0].network_id, 1);
	assert_int_equal(a->candidates[0].network_cost, 50);
	assert_int_equal(a->candidates[1].transport, SDP_CAND_TCP);
	assert_int_equal(a->candidates[1].tcptype, SDP_TCPTYPE_ACTIVE);
	assert_int_equal(a->candidates[1].port, 9);
	sdp_free(s);
}

static void test_chrome_offer_video(void **state)
{
	struct sdp *s = parse_file("chrome_offer_av_dc.sdp");
	const struct sdp_media *v = sdp_media_by_mid(s, "1");
	const struct sdp_codec *c;

	/* VP8 96 + rtx 97, H264 by profile, VP9 by profile-id, AV1. */
	assert_int_equal(v->n_codecs, 23);
	c = sdp_codec_find(v, "VP8", 90000, 0, NULL);
	assert_int_equal(c->pt, 96);
	assert_int_equal(c->rtx_pt, 97);
	assert_int_equal(sdp_codec_rtx_pt(v, c), 97);
	assert_int_equal(sdp_codec_by_pt(v, 97)->apt, 96);
	assert_int_equal(c->fb, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR |
					SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC);
	assert_int_equal(c->n_rtcp_fb, 5);
	assert_string_equal(c->rtcp_fb[3], "nack");
	assert_string_equal(c->rtcp_fb[4], "nack pli");
	c = sdp_codec_find(v, "H264", 90000, 0, "packetization-mode=1;profile-level-id=42e01f");
	assert_int_equal(c->pt, 108);
	assert_int_equal(c->rtx_pt, 109);
	c = sdp_codec_find(v, "h264", 90000, 0, "profile-level-id=42e034;packetization-mode=0");
	assert_int_equal(c->pt, 114); /* constrained baseline, any level */
	assert_int_equal(sdp_codec_find(v, "H264", 90000, 0,
					"packetization-mode=1;profile-level-id=42001f")->pt, 102);
	assert_int_equal(sdp_codec_find(v, "H264", 90000, 0,
					"packetization-mode=1;profile-level-id=4d0032")->pt, 116);
	assert_null(sdp_codec_find(v, "H264", 90000, 0, "packetization-mode=1;profile-level-id=640032"));
	assert_int_equal(sdp_codec_find(v, "VP9", 90000, 0, "profile-id=2")->pt, 100);
	assert_int_equal(sdp_codec_find(v, "VP9", 90000, 0, "")->pt, 98);
	assert_int_equal(sdp_codec_find(v, "AV1", 90000, 0, NULL)->pt, 45);
	assert_null(sdp_codec_find(v, "VP8", 48000, 0, NULL));
	assert_int_equal(sdp_codec_by_pt(v, 119)->apt, 118);
	assert_int_equal(sdp_codec_by_pt(v, 118)->rtx_pt, 119); /* red's rtx */
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_RID), 10);
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_RRID), 11);
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_VIDEO_ORIENTATION), 13);
	assert_int_equal(v->n_ssrc_groups, 1);
	assert_string_equal(v->ssrc_groups[0].semantics, "FID");
	assert_int_equal(v->ssrc_groups[0].n_ssrcs, 2);
	assert_int_equal(v->ssrc_groups[0].ssrcs[0], 1702420980u);
	assert_int_equal(v->ssrc_groups[0].ssrcs[1], 924442979u);
	sdp_free(s);
}

static void test_chrome_simulcast(void **state)
{
	struct sdp *s = parse_file("chrome_offer_simulcast.sdp");
	const struct sdp_media *v = sdp_media_by_mid(s, "1");
	static const char *const rids[] = { "q", "h", "f" };

	assert_int_equal(v->n_rids, 3);
	assert_int_equal(v->sim_send.n_rids, 3);
	assert_int_equal(v->sim_recv.n_rids, 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(v->rids[i].id, rids[i]);
		assert_int_equal(v->rids[i].dir, SDP_DIR_SENDONLY);
		assert_null(v->rids[i].params);
		assert_string_equal(v->sim_send.rids[i].rid, rids[i]);
		assert_int_equal(v->sim_send.rids[i].stream, i);
		assert_false(v->sim_send.rids[i].paused);
	}
	assert_int_equal(v->n_ssrcs, 0);
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_RID), 10);
	sdp_free(s);
}

static void test_firefox_offer(void **state)
{
	struct sdp *s = parse_file("firefox_offer_av_dc.sdp");
	const struct sdp_media *a = &s->media[0], *v = &s->media[1], *d = &s->media[2];
	const struct sdp_codec *c;

	assert_string_equal(s->origin_user, "mozilla...THIS_IS_SDPARTA-99.0");
	assert_string_equal(s->sess_version, "0");
	/* Fingerprint only at session level: inherited. */
	assert_int_equal(s->fingerprint.len, 32);
	assert_memory_equal(&a->fingerprint, &s->fingerprint, sizeof(s->fingerprint));
	assert_memory_equal(&d->fingerprint, &s->fingerprint, sizeof(s->fingerprint));
	assert_int_equal(a->fingerprint.bytes[0], 0xac);
	assert_int_equal(a->fingerprint.bytes[31], 0x18);
	assert_false(s->extmap_allow_mixed);
	assert_true(a->extmap_allow_mixed);
	assert_string_equal(a->ice_ufrag, "f95e530c");
	assert_int_equal(a->dir, SDP_DIR_SENDONLY);
	assert_int_equal(d->dir, SDP_DIR_SENDRECV);
	c = sdp_codec_find(a, "opus", 48000, 2, NULL);
	assert_int_equal(c->pt, 109);
	assert_string_equal(sdp_codec_param(c, "stereo"), "1");
	assert_int_equal(sdp_codec_by_pt(a, 9)->channels, 1);
	c = sdp_codec_find(a, "telephone-event", 8000, 0, NULL);
	assert_string_equal(c->params[0].key, "0-15");
	assert_int_equal(a->extmaps[1].id, 2);
	assert_int_equal(a->extmaps[1].dir, SDP_DIR_RECVONLY);
	assert_int_equal(sdp_extmap_id(a, SDP_EXT_TWCC), 7);
	/* rtcp-fb and fmtp come before the rtpmap lines. */
	c = sdp_codec_find(v, "VP8", 90000, 0, NULL);
	assert_int_equal(c->pt, 120);
	assert_int_equal(c->rtx_pt, 124);
	assert_int_equal(c->n_rtcp_fb, 5);
	assert_int_equal(sdp_codec_find(v, "VP9", 90000, 0, NULL)->rtx_pt, 125);
	assert_int_equal(sdp_codec_find(v, "red", 90000, 0, NULL)->rtx_pt, 119);
	assert_int_equal(sdp_codec_find(v, "ulpfec", 90000, 0, NULL)->pt, 123);
	/* Four candidates (RTP and RTCP components, UDP and TCP). */
	assert_int_equal(a->n_candidates, 4);
	assert_int_equal(a->candidates[0].transport, SDP_CAND_UDP);
	assert_int_equal(a->candidates[2].component, 2);
	assert_int_equal(a->candidates[1].tcptype, SDP_TCPTYPE_ACTIVE);
	assert_int_equal(a->candidates[0].generation, -1);
	assert_true(a->end_of_candidates);
	assert_int_equal(d->max_message_size, 1073741823);
	assert_int_equal(v->n_ssrc_groups, 1);
	sdp_free(s);
}

static void test_firefox_simulcast(void **state)
{
	struct sdp *s = parse_file("firefox_offer_simulcast.sdp");
	const struct sdp_media *v = &s->media[1];

	assert_int_equal(v->n_rids, 3);
	assert_int_equal(v->sim_send.n_rids, 3);
	assert_string_equal(v->sim_send.rids[2].rid, "f");
	assert_int_equal(v->n_ssrcs, 6);
	assert_int_equal(v->n_ssrc_groups, 3);
	assert_int_equal(v->extmaps[6].id, 9);
	assert_int_equal(v->extmaps[6].dir, SDP_DIR_SENDONLY);
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_RID), 9);
	sdp_free(s);
}

static void test_recvonly_and_answers(void **state)
{
	static const char *const names[] = { "chrome_offer_recvonly.sdp", "firefox_offer_recvonly.sdp" };
	static const char *const answers[] = { "chrome_answer_to_server_offer.sdp",
					       "firefox_answer_to_server_offer.sdp" };

	for (unsigned i = 0; i < 2; i++) {
		struct sdp *s = parse_file(names[i]);

		assert_int_equal(s->n_media, 2);
		assert_int_equal(s->media[0].dir, SDP_DIR_RECVONLY);
		assert_int_equal(s->media[1].dir, SDP_DIR_RECVONLY);
		sdp_free(s);
		/* Browsers' answers to tests/media/sdp_tool's subscribe offer. */
		s = parse_file(answers[i]);
		assert_int_equal(s->n_media, 4);
		assert_int_equal(s->media[0].setup, SDP_SETUP_ACTIVE);
		assert_int_equal(s->media[0].dir, SDP_DIR_RECVONLY);
		assert_int_equal(s->media[2].dir, SDP_DIR_INACTIVE);
		assert_int_equal(sdp_codec_find(&s->media[1], "VP8", 90000, 0, NULL)->rtx_pt, 97);
		sdp_free(s);
	}
}

/* Every file: parse, write, parse again, and the model is the same. */
static void test_roundtrip(void **state)
{
	for (unsigned f = 0; f < G_N_ELEMENTS(data_files); f++) {
		struct sdp *s = parse_file(data_files[f]);
		char *text = write_ok(s);
		struct sdp *b = parse_str(text);

		assert_int_equal(b->n_media, s->n_media);
		assert_int_equal(b->n_bundle, s->n_bundle);
		for (unsigned i = 0; i < s->n_media; i++) {
			const struct sdp_media *x = &s->media[i], *y = &b->media[i];

			assert_string_equal(x->mid, y->mid);
			assert_int_equal(x->dir, y->dir);
			assert_int_equal(x->port, y->port);
			assert_memory_equal(&x->fingerprint, &y->fingerprint, sizeof(x->fingerprint));
			assert_int_equal(x->n_codecs, y->n_codecs);
			for (unsigned j = 0; j < x->n_codecs; j++) {
				assert_int_equal(x->codecs[j].pt, y->codecs[j].pt);
				assert_int_equal(x->codecs[j].fb, y->codecs[j].fb);
				assert_int_equal(x->codecs[j].rtx_pt, y->codecs[j].rtx_pt);
				assert_int_equal(x->codecs[j].channels, y->codecs[j].channels);
			}
			assert_int_equal(x->n_extmaps, y->n_extmaps);
			assert_int_equal(x->n_candidates, y->n_candidates);
			assert_int_equal(x->n_ssrcs, y->n_ssrcs);
			assert_int_equal(x->n_ssrc_groups, y->n_ssrc_groups);
			assert_int_equal(x->n_rids, y->n_rids);
			assert_int_equal(x->sim_send.n_rids, y->sim_send.n_rids);
			assert_int_equal(x->sctp_port, y->sctp_port);
		}
		g_free(text);
		sdp_free(b);
		sdp_free(s);
	}
}

/* ---- answers ---------------------------------------------------------- */

static void check_local(const struct sdp_media *m)
{
	assert_string_equal(m->ice_ufrag, "srvU");
	assert_string_equal(m->ice_pwd, "serverpasswordserverpw");
	assert_int_equal(m->fingerprint.len, 32);
	assert_int_equal(m->fingerprint.bytes[5], 0xab);
	assert_int_equal(m->setup, SDP_SETUP_PASSIVE);
	assert_true(m->rtcp_mux || m->kind == SDP_KIND_APPLICATION);
}

static void test_answer_real_offers(void **state)
{
	static const char *const names[] = { "chrome_offer_av_dc.sdp", "firefox_offer_av_dc.sdp" };
	static const unsigned opus_pt[] = { 111, 109 }, vp8_pt[] = { 96, 120 }, rtx_pt[] = { 97, 124 };
	struct sdp_answer_params p;

	answer_params(&p);
	for (unsigned f = 0; f < 2; f++) {
		struct sdp *o = parse_file(names[f]);
		struct sdp *a = answer_reparsed(o, &p);
		const struct sdp_media *am = &a->media[0], *vm = &a->media[1], *dm = &a->media[2];

		assert_int_equal(a->n_bundle, 3);
		assert_string_equal(a->bundle[0], "0");
		assert_true(a->ice_trickle);
		for (unsigned i = 0; i < 3; i++) {
			assert_string_equal(a->media[i].mid, o->media[i].mid);
			check_local(&a->media[i]);
		}
		assert_int_equal(am->dir, SDP_DIR_RECVONLY);
		assert_int_equal(am->n_codecs, 1);
		assert_int_equal(am->codecs[0].pt, opus_pt[f]);
		assert_int_equal(am->codecs[0].fb, SDP_FB_TRANSPORT_CC);
		assert_int_equal(sdp_extmap_id(am, SDP_EXT_AUDIO_LEVEL),
				 sdp_extmap_id(&o->media[0], SDP_EXT_AUDIO_LEVEL));
		assert_int_equal(vm->dir, SDP_DIR_RECVONLY);
		assert_int_equal(vm->n_codecs, 2);
		assert_int_equal(vm->codecs[0].pt, vp8_pt[f]);
		assert_int_equal(vm->codecs[0].rtx_pt, rtx_pt[f]);
		assert_int_equal(vm->codecs[0].fb, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC);
		assert_int_equal(sdp_extmap_id(vm, SDP_EXT_TWCC), sdp_extmap_id(&o->media[1], SDP_EXT_TWCC));
		assert_int_equal(sdp_extmap_id(vm, SDP_EXT_TOFFSET), 0); /* not accepted */
		/* Candidates only in the first bundled section; it is the default. */
		assert_int_equal(am->n_candidates, 1);
		assert_string_equal(am->candidates[0].address, "192.0.2.10");
		assert_int_equal(am->port, 40000);
		assert_string_equal(am->conn_addr, "192.0.2.10");
		assert_true(am->end_of_candidates);
		assert_int_equal(vm->n_candidates, 0);
		assert_int_equal(vm->n_ssrcs, 0);
		assert_int_equal(dm->sctp_port, 5000);
		assert_int_equal(dm->max_message_size, 262144);
		assert_int_equal(dm->proto, SDP_PROTO_UDP_DTLS_SCTP);
		sdp_free(a);
		sdp_free(o);
	}
}

static void test_answer_simulcast(void **state)
{
	static const char *const names[] = { "chrome_offer_simulcast.sdp", "firefox_offer_simulcast.sdp" };
	struct sdp_answer_params p;

	answer_params(&p);
	for (unsigned f = 0; f < 2; f++) {
		struct sdp *o = parse_file(names[f]);
		struct sdp *a = answer_reparsed(o, &p);
		const struct sdp_media *v = &a->media[1];

		assert_int_equal(v->n_rids, 3);
		assert_string_equal(v->rids[0].id, "q");
		assert_int_equal(v->rids[0].dir, SDP_DIR_RECVONLY);
		assert_int_equal(v->sim_recv.n_rids, 3);
		assert_int_equal(v->sim_recv.rids[2].stream, 2);
		assert_int_equal(v->sim_send.n_rids, 0);
		assert_int_not_equal(sdp_extmap_id(v, SDP_EXT_RID), 0);
		sdp_free(a);
		/* Without caps.simulcast the answer has no rids. */
		p.video.simulcast = false;
		a = answer_reparsed(o, &p);
		assert_int_equal(a->media[1].n_rids, 0);
		assert_int_equal(a->media[1].sim_recv.n_rids, 0);
		p.video.simulcast = true;
		sdp_free(a);
		sdp_free(o);
	}
}

static void test_answer_rejects(void **state)
{
	struct sdp *o = parse_file("chrome_offer_av_dc.sdp");
	struct sdp_answer_params p;
	struct sdp_media_caps none = { 0 };
	const struct sdp_media_caps *sections[2] = { NULL, &none };
	struct sdp *a;

	answer_params(&p);
	p.datachannel = false;
	p.sections = sections;
	p.n_sections = 2;
	a = answer_reparsed(o, &p);
	assert_int_equal(a->media[0].port, 40000);
	assert_int_equal(a->media[1].port, 0);
	assert_string_equal(a->media[1].mid, "1");
	assert_int_equal(a->media[1].dir, SDP_DIR_INACTIVE);
	assert_int_equal(a->media[2].port, 0);
	assert_string_equal(a->media[2].mid, "2");
	assert_int_equal(a->n_bundle, 1);
	sdp_free(a);
	/* H264 only, one codec: the constrained-baseline pm=1 one with its rtx. */
	{
		static const struct sdp_codec_cap h264[] = {
			{ "H264", 90000, 0, "packetization-mode=1;profile-level-id=42e01f",
			  SDP_FB_NACK, true },
			{ "VP8", 90000, 0, NULL, 0, true },
		};

		p.sections = NULL;
		p.video.codecs = h264;
		p.video.n_codecs = 2;
		p.video.max_codecs = 1;
		a = answer_reparsed(o, &p);
		assert_int_equal(a->media[1].n_codecs, 2);
		assert_int_equal(a->media[1].codecs[0].pt, 108);
		assert_int_equal(a->media[1].codecs[1].pt, 109);
		assert_string_equal(a->media[1].codecs[0].fmtp,
				    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
		sdp_free(a);
	}
	sdp_free(o);
}

static const char *const mini_offer =
	"v=0\r\n"
	"o=- 1 1 IN IP4 0.0.0.0\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=ice-ufrag:abcd\r\n"
	"a=ice-pwd:0123456789012345678901\r\n"
	"a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13\r\n"
	"a=setup:%s\r\n"
	"%s"
	"m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
	"a=mid:a\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
	"a=mid:b\r\n"
	"a=rtcp-mux\r\n"
	"a=recvonly\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"m=application 9 DTLS/SCTP 5000\r\n"
	"a=mid:c\r\n"
	"a=sctpmap:5000 webrtc-datachannel 1024\r\n";

static struct sdp *mini(const char *setup, const char *extra)
{
	char *text = g_strdup_printf(mini_offer, setup, extra);
	struct sdp *s = parse_str(text);

	g_free(text);
	return s;
}

static void test_answer_roles_and_bundle(void **state)
{
	struct sdp_answer_params p;
	struct sdp *o, *a;

	answer_params(&p);
	/* No BUNDLE group, bundle_only: only the first section is accepted. */
	o = mini("passive", "");
	assert_int_equal(o->media[0].fingerprint.len, 20);
	a = answer_reparsed(o, &p);
	assert_int_equal(a->media[0].setup, SDP_SETUP_ACTIVE);
	assert_int_equal(a->media[0].port, 40000);
	assert_int_equal(a->media[1].port, 0);
	assert_int_equal(a->media[2].port, 0);
	assert_int_equal(a->n_bundle, 0);
	sdp_free(a);
	/* Not bundle_only: every section, each with candidates; legacy SCTP. */
	p.bundle_only = false;
	a = answer_reparsed(o, &p);
	assert_int_equal(a->media[1].port, 40000);
	assert_int_equal(a->media[1].dir, SDP_DIR_INACTIVE); /* recvonly offer, recvonly server */
	assert_int_equal(a->media[1].n_candidates, 1);
	assert_int_equal(a->media[2].proto, SDP_PROTO_DTLS_SCTP);
	assert_int_equal(a->media[2].sctp_port, 5000);
	assert_string_equal(a->media[2].fmt, "5000");
	sdp_free(a);
	/* The server sends: recvonly offer gets sendonly. */
	p.audio.dir = SDP_DIR_SENDONLY;
	a = answer_reparsed(o, &p);
	assert_int_equal(a->media[0].dir, SDP_DIR_SENDONLY); /* sendrecv offer */
	assert_int_equal(a->media[1].dir, SDP_DIR_SENDONLY);
	sdp_free(a);
	sdp_free(o);
	/* A BUNDLE group without the first section. */
	o = mini("actpass", "a=group:BUNDLE b c\r\n");
	p.bundle_only = true;
	p.audio.dir = SDP_DIR_RECVONLY;
	a = answer_reparsed(o, &p);
	assert_int_equal(a->media[0].port, 0);
	assert_int_equal(a->media[0].setup, SDP_SETUP_NONE);
	assert_int_equal(a->media[1].setup, SDP_SETUP_PASSIVE);
	assert_int_equal(a->media[1].n_candidates, 1);
	assert_int_equal(a->media[2].n_candidates, 0);
	assert_int_equal(a->n_bundle, 2);
	assert_string_equal(a->bundle[0], "b");
	sdp_free(a);
	sdp_free(o);
}

static void test_answer_errors(void **state)
{
	struct sdp_answer_params p;
	struct sdp *o = parse_str("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtcp-mux\r\n"
				  "a=rtpmap:111 opus/48000/2\r\n");
	struct sdp *a = NULL;

	answer_params(&p);
	/* No ICE credentials or fingerprint in an acceptable section. */
	assert_int_equal(sdp_answer_build(&a, o, &p), EPROTO);
	assert_null(a);
	sdp_free(o);
	o = mini("actpass", "");
	p.local.ice_pwd = "short";
	assert_int_equal(sdp_answer_build(&a, o, &p), EINVAL);
	answer_params(&p);
	p.local.fingerprint.len = 20; /* not a sha-256 length */
	assert_int_equal(sdp_answer_build(&a, o, &p), EINVAL);
	answer_params(&p);
	p.sess_id = "12a";
	assert_int_equal(sdp_answer_build(&a, o, &p), EINVAL);
	assert_int_equal(sdp_answer_build(&a, NULL, &p), EINVAL);
	assert_null(a);
	sdp_free(o);
}

/* ---- offers ----------------------------------------------------------- */

static const struct sdp_offer_codec off_opus = { 111, "opus", 48000, 2, "minptime=10;useinbandfec=1",
						 SDP_FB_TRANSPORT_CC, 0 };
static const struct sdp_offer_codec off_vp8 = { 96, "VP8", 90000, 0, NULL,
						SDP_FB_NACK | SDP_FB_NACK_PLI, 97 };
static const struct sdp_extmap off_ext[] = {
	{ 1, SDP_DIR_NONE, SDP_EXT_MID, NULL },
	{ 3, SDP_DIR_NONE, SDP_EXT_TWCC, NULL },
};

static void offer_media(struct sdp_offer_media *m)
{
	memset(m, 0, 3 * sizeof(*m));
	m[0] = (struct sdp_offer_media){ .kind = SDP_KIND_AUDIO, .mid = "a0", .dir = SDP_DIR_SENDONLY,
					 .codecs = &off_opus, .n_codecs = 1, .extmaps = off_ext,
					 .n_extmaps = 2, .ssrc = 10, .cname = "c", .stream_id = "s",
					 .track_id = "t0" };
	m[1] = (struct sdp_offer_media){ .kind = SDP_KIND_VIDEO, .mid = "v1", .dir = SDP_DIR_SENDONLY,
					 .codecs = &off_vp8, .n_codecs = 1, .extmaps = off_ext,
					 .n_extmaps = 2, .ssrc = 20, .rtx_ssrc = 21, .cname = "c",
					 .track_id = "t1", .rtcp_rsize = true };
	m[2] = (struct sdp_offer_media){ .kind = SDP_KIND_VIDEO, .mid = "v2", .stopped = true,
					 .codecs = &off_vp8, .n_codecs = 1 };
}

static void test_offer_build(void **state)
{
	struct sdp_offer_media m[3];
	struct sdp_offer_params p;
	struct sdp *o = NULL, *b;
	const struct sdp_media *v;
	char *text;

	memset(&p, 0, sizeof(p));
	local_transport(&p.local);
	offer_media(m);
	p.media = m;
	p.n_media = 3;
	p.bundle = true;
	p.sess_version = "5";
	assert_int_equal(sdp_offer_build(&o, &p), 0);
	text = write_ok(o);
	b = parse_str(text);
	assert_string_equal(b->sess_version, "5");
	assert_int_equal(b->n_bundle, 2);
	assert_int_equal(b->media[0].setup, SDP_SETUP_ACTPASS);
	assert_int_equal(b->media[0].n_candidates, 1);
	assert_int_equal(b->media[1].n_candidates, 0);
	assert_int_equal(b->media[0].dir, SDP_DIR_SENDONLY);
	assert_string_equal(b->media[0].msid_stream, "s");
	assert_int_equal(b->media[0].ssrcs[0].ssrc, 10);
	assert_string_equal(b->media[0].ssrcs[0].msid_track, "t0");
	v = sdp_media_by_mid(b, "v1");
	assert_string_equal(v->msid_stream, "-");
	assert_int_equal(v->n_codecs, 2);
	assert_int_equal(sdp_codec_find(v, "VP8", 90000, 0, NULL)->rtx_pt, 97);
	assert_int_equal(v->codecs[0].fb, SDP_FB_NACK | SDP_FB_NACK_PLI);
	assert_int_equal(v->n_ssrcs, 2);
	assert_string_equal(v->ssrc_groups[0].semantics, "FID");
	assert_int_equal(v->ssrc_groups[0].ssrcs[1], 21);
	assert_int_equal(sdp_extmap_id(v, SDP_EXT_TWCC), 3);
	assert_true(v->rtcp_rsize);
	v = sdp_media_by_mid(b, "v2");
	assert_int_equal(v->port, 0);
	assert_int_equal(v->dir, SDP_DIR_INACTIVE);
	assert_true(b->ice_trickle);
	g_free(text);
	sdp_free(b);
	sdp_free(o);
}

static void test_offer_build_invalid(void **state)
{
	static const struct sdp_offer_codec bad_name = { 96, "VP 8", 90000, 0, NULL, 0, 0 };
	static const struct sdp_offer_codec same_rtx = { 96, "VP8", 90000, 0, NULL, 0, 96 };
	static const struct sdp_offer_codec bad_fmtp = { 96, "VP8", 90000, 0, "x=1\r\na=evil", 0, 0 };
	struct sdp_offer_media m[3];
	struct sdp_offer_params p;
	struct sdp *o = NULL;

	memset(&p, 0, sizeof(p));
	local_transport(&p.local);
	p.media = m;
	p.n_media = 3;
	offer_media(m);
	m[1].mid = "a0";
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL); /* duplicate mid */
	offer_media(m);
	m[1].mid = "v 1";
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	offer_media(m);
	m[1].codecs = &bad_name;
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	m[1].codecs = &same_rtx;
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	m[1].codecs = &bad_fmtp;
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	offer_media(m);
	m[0].cname = "x\r\na=injected"; /* would break out of its line */
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	offer_media(m);
	m[0].kind = SDP_KIND_OTHER;
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	offer_media(m);
	p.local.ice_ufrag = NULL;
	assert_int_equal(sdp_offer_build(&o, &p), EINVAL);
	assert_null(o);
}

/* A caller-filled model is written only if every value fits its line. */
static void test_write_rejects_injection(void **state)
{
	struct sdp_codec c = { .pt = 96, .name = "VP8", .clock_rate = 90000, .apt = -1, .rtx_pt = -1 };
	struct sdp_media m = { .kind = SDP_KIND_VIDEO, .port = 9, .proto = SDP_PROTO_RTP_SAVPF,
			       .mid = "0", .dir = SDP_DIR_SENDONLY, .codecs = &c, .n_codecs = 1 };
	struct sdp s = { .media = &m, .n_media = 1 };
	char *text = NULL;

	text = write_ok(&s);
	g_free(text);
	text = NULL;
	m.mid = "0\r\na=x";
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	m.mid = "0";
	m.msid_stream = "s t";
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	m.msid_stream = NULL;
	c.name = "VP8/90000";
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	c.name = "VP8";
	m.proto_name = "DTLS/SCTP"; /* ignored: the enum names the profile */
	text = write_ok(&s);
	g_free(text);
	text = NULL;
	m.proto = SDP_PROTO_RTP_OTHER; /* then the name must be an RTP one */
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	m.proto = SDP_PROTO_RTP_SAVPF;
	s.msid_semantic = " ";
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	s.msid_semantic = NULL;
	s.bundle = (const char *[]){ "nope" };
	s.n_bundle = 1;
	assert_int_equal(sdp_write(&s, &text), EINVAL);
	assert_null(text);
}

/* ---- trickle fragments and candidates --------------------------------- */

static void test_frag(void **state)
{
	static const char frag[] =
		"a=ice-options:trickle ice2\r\n"
		"a=group:BUNDLE 0 1\r\n"
		"m=audio 9 RTP/AVP 0\r\n"
		"a=mid:0\r\n"
		"a=ice-ufrag:EsAw\r\n"
		"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
		"a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n"
		"a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2\r\n"
		"a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1\r\n"
		"a=end-of-candidates\r\n";
	struct sdp *f = NULL, *b;
	char err[128], *text = NULL;

	assert_int_equal(sdp_frag_parse(&f, frag, sizeof(frag) - 1, err, sizeof(err)), 0);
	assert_true(f->ice_trickle && f->ice2);
	assert_int_equal(f->n_bundle, 2);
	assert_int_equal(f->n_media, 1);
	assert_string_equal(f->media[0].mid, "0");
	assert_string_equal(f->media[0].ice_ufrag, "EsAw");
	assert_int_equal(f->media[0].n_candidates, 3);
	assert_string_equal(f->media[0].candidates[1].address, "198.51.100.2");
	assert_string_equal(f->media[0].candidates[0].ufrag, "EsAw");
	assert_true(f->media[0].end_of_candidates);
	assert_int_equal(sdp_frag_write(f, &text), 0);
	assert_int_equal(sdp_frag_parse(&b, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(b->media[0].n_candidates, 3);
	assert_string_equal(b->media[0].ice_pwd, "bP+XJMM09aR8AiX1jdukzR6Y");
	g_free(text);
	sdp_free(b);
	sdp_free(f);
	/* Session credentials are inherited; a candidate before any m= line. */
	text = "a=ice-ufrag:abcd\na=ice-pwd:0123456789012345678901\n"
	       "a=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\na=end-of-candidates\n";
	assert_int_equal(sdp_frag_parse(&f, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(f->n_media, 1);
	assert_null(f->media[0].mid);
	assert_string_equal(f->media[0].ice_ufrag, "abcd");
	assert_true(f->media[0].end_of_candidates);
	sdp_free(f);
	/* Errors name the line. */
	text = "m=audio 9 RTP/AVP 0\na=mid:0\na=candidate:1 1 udp 1 x\n";
	assert_int_equal(sdp_frag_parse(&f, text, strlen(text), err, sizeof(err)), EBADMSG);
	assert_string_equal(err, "line 3: a=candidate: missing fields");
}

static void test_candidate(void **state)
{
	static const char *const good[] = {
		"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag sXdQ network-cost 999",
		"a=candidate:1 1 UDP 2122252543 4b1e0f9a-5a3b-4a4d-9e4b-2f5f3c6a7b8c.local 54321 typ host\r\n",
		"candidate:2 2 tcp 1 2001:db8::1 9 typ relay raddr 0.0.0.0 rport 0 tcptype passive foo bar",
		"candidate:3 1 udp 1 fe80::1%eth0 1 typ prflx",
	};
	static const char *const bad[] = {
		"candidate:1 1 udp 1 10.0.0.1 5000 host",           /* no typ */
		"candidate:1 1 udp 1 10.0.0.1 70000 typ host",      /* port */
		"candidate:1 0 udp 1 10.0.0.1 5000 typ host",       /* component */
		"candidate:1 1 sctp 1 10.0.0.1 5000 typ host",      /* transport */
		"candidate:1 1 udp 99999999999 10.0.0.1 5000 typ host", /* priority */
		"candidate:1 1 udp 1 10.0.0.1 5000 typ hostish",    /* type */
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host raddr", /* odd extension */
		"candidate:123456789012345678901234567890123 1 udp 1 a 1 typ host", /* foundation */
		"candidate:1 1 udp 1 10.0.0.1;x 5000 typ host",     /* address */
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host generation -1",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host\x01",
		"ice-ufrag:abcd",
	};
	struct sdp_candidate *c = NULL;
	char err[128], *text = NULL;

	for (unsigned i = 0; i < G_N_ELEMENTS(good); i++) {
		struct sdp_candidate *b = NULL;

		assert_int_equal(sdp_candidate_parse(&c, good[i], strlen(good[i]), err, sizeof(err)), 0);
		assert_int_equal(sdp_candidate_write(c, &text), 0);
		assert_int_equal(sdp_candidate_parse(&b, text, strlen(text), err, sizeof(err)), 0);
		assert_string_equal(b->address, c->address);
		assert_int_equal(b->type, c->type);
		assert_int_equal(b->rport, c->rport);
		g_free(text);
		sdp_candidate_free(b);
		if (i == 0) {
			assert_int_equal(c->type, SDP_CAND_SRFLX);
			assert_string_equal(c->raddr, "10.0.0.2");
			assert_int_equal(c->rport, 46154);
			assert_string_equal(c->ufrag, "sXdQ");
			assert_int_equal(c->network_cost, 999);
		} else if (i == 2) {
			assert_int_equal(c->tcptype, SDP_TCPTYPE_PASSIVE);
			assert_int_equal(c->component, 2);
		}
		sdp_candidate_free(c);
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		c = NULL;
		err[0] = '\0';
		assert_int_equal(sdp_candidate_parse(&c, bad[i], strlen(bad[i]), err, sizeof(err)), EBADMSG);
		assert_null(c);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(sdp_candidate_parse(&c, "candidate:1 1 udp 1 a\0b 1 typ host", 34, err,
					     sizeof(err)), EBADMSG);
}

/* ---- malformed input -------------------------------------------------- */

#define HDR "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

static void test_malformed(void **state)
{
	static const struct {
		const char *text;
		unsigned line;
	} cases[] = {
		{ "", 1 },
		{ "\r\n", 1 },
		{ "o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", 1 },
		{ "v=1\r\n", 1 },
		{ "v=0\r\nv=0\r\n", 2 },
		{ "v=0\nhello\n", 2 },
		{ "v=0\r\na\r\n", 2 },
		{ "v=0\r\n=x\r\n", 2 },
		{ "v=0\r\nA=x\r\n", 2 },
		{ HDR "m=audio\r\n", 5 },
		{ HDR "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", 5 },
		{ HDR "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", 5 },
		{ HDR "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", 5 },
		{ HDR "m=audio 99999999999999999999999 UDP/TLS/RTP/SAVPF 111\r\n", 5 },
		{ HDR "m=audio 9/0 UDP/TLS/RTP/SAVPF 111\r\n", 5 },
		{ HDR "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", 5 },
		{ HDR "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", 5 },
		{ HDR "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", 5 },
		{ HDR "m=au\"dio 9 UDP/TLS/RTP/SAVPF 111\r\n", 5 },
		{ HDR "m=application 9 DTLS/SCTP webrtc-datachannel\r\n", 5 },
		{ HDR "o=- x 1 IN IP4 0.0.0.0\r\n", 5 },
		{ HDR "c=IN IP4\r\n", 5 },
		{ HDR AUD "a=rtpmap:96 VP8/90000\r\n", 6 },
		{ HDR AUD "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n", 7 },
		{ HDR AUD "a=rtpmap:111 opus\r\n", 6 },
		{ HDR AUD "a=rtpmap:111 opus/0\r\n", 6 },
		{ HDR AUD "a=rtpmap:111 opus/99999999999/2\r\n", 6 },
		{ HDR AUD "a=rtpmap:111 opus/48000/2/1\r\n", 6 },
		{ HDR AUD "a=fmtp:112 x=1\r\n", 6 },
		{ HDR AUD "a=fmtp:111 apt=x\r\n", 6 },
		{ HDR AUD "a=fmtp:111 a=1\r\na=fmtp:111 b=2\r\n", 7 },
		{ HDR AUD "a=rtcp-fb:96 nack\r\n", 6 },
		{ HDR AUD "a=rtcp-fb:111\r\n", 6 },
		{ HDR AUD "a=mid:0\r\n" AUD "a=mid:0\r\n", 8 },
		{ HDR AUD "a=mid:0\r\na=mid:1\r\n", 7 },
		{ HDR AUD "a=mid:a b\r\n", 6 },
		{ HDR "a=group:BUNDLE 0 1\r\n" AUD "a=mid:0\r\n", 5 },
		{ HDR "a=group:BUNDLE 0 0\r\n", 5 },
		{ HDR "a=fingerprint:sha-256 ZZ:00\r\n", 5 },
		{ HDR "a=fingerprint:sha-256 00:11:22\r\n", 5 },
		{ HDR "a=fingerprint:sha-256\r\n", 5 },
		{ HDR "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:1\r\n", 5 },
		{ HDR "a=fingerprint:sha-1 000:01\r\n", 5 },
		{ HDR "a=setup:server\r\n", 5 },
		{ HDR "a=ice-ufrag:ab\r\n", 5 },
		{ HDR "a=ice-ufrag:ab*d\r\n", 5 },
		{ HDR "a=ice-pwd:tooshort\r\n", 5 },
		{ HDR "a=ice-ufrag:\r\n", 5 },
		{ HDR AUD "a=candidate:1 1 udp 1 10.0.0.1 5000 typ nope\r\n", 6 },
		{ HDR AUD "a=candidate:1 1 udp 1 10.0.0.1 99999 typ host\r\n", 6 },
		{ HDR AUD "a=extmap:0 urn:x\r\n", 6 },
		{ HDR AUD "a=extmap:256 urn:x\r\n", 6 },
		{ HDR AUD "a=extmap:1/sideways urn:x\r\n", 6 },
		{ HDR AUD "a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n", 7 },
		{ HDR AUD "a=ssrc:4294967296 cname:x\r\n", 6 },
		{ HDR AUD "a=ssrc:1 cname:\r\n", 6 },
		{ HDR AUD "a=ssrc:1 msid:a b c\r\n", 6 },
		{ HDR AUD "a=ssrc-group:FID 1 2 3 4 5 6 7 8 9\r\n", 6 },
		{ HDR AUD "a=ssrc-group:FID x\r\n", 6 },
		{ HDR AUD "a=msid:\r\n", 6 },
		{ HDR AUD "a=rid:q sideways\r\n", 6 },
		{ HDR AUD "a=rid:q! send\r\n", 6 },
		{ HDR AUD "a=rid:q send\r\na=rid:q send\r\n", 7 },
		{ HDR AUD "a=simulcast:send\r\n", 6 },
		{ HDR AUD "a=simulcast:sideways a\r\n", 6 },
		{ HDR AUD "a=simulcast:send a;;b\r\n", 6 },
		{ HDR AUD "a=simulcast:send a recv b send c\r\n", 6 },
		{ HDR AUD "a=simulcast:send a send b\r\n", 6 },
		{ HDR AUD "a=simulcast:send a;b,~a\r\n", 6 },
		{ HDR "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:65536\r\n", 6 },
		{ HDR "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:184467440737095516160\r\n", 6 },
		{ HDR "m=application 9 DTLS/SCTP 5000\r\na=sctpmap:x webrtc-datachannel\r\n", 6 },
		{ HDR "a=ice-lite\r\nx=\x01\r\n", 6 },
		{ HDR "a=ice-lite\r\ns=a\rb\r\n", 6 },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++)
		parse_bad(cases[i].text, cases[i].line);
	parse_bad_len(HDR "a=x\0y\r\n", sizeof(HDR "a=x\0y\r\n") - 1, 5);
}

static void test_limits(void **state)
{
	GString *s = g_string_new(HDR);
	struct sdp *out = NULL;
	char err[128];

	/* 64 sections are fine, the 65th is not. */
	for (unsigned i = 0; i < SDP_MAX_MEDIA; i++)
		g_string_append_printf(s, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%u\r\n", i);
	sdp_free(parse_str(s->str));
	g_string_append(s, AUD);
	parse_bad(s->str, 4 + 2 * SDP_MAX_MEDIA + 1);
	/* Too many candidates, extmaps, rids in a section. */
	g_string_assign(s, HDR AUD);
	for (unsigned i = 0; i <= SDP_MAX_CANDIDATES; i++)
		g_string_append_printf(s, "a=candidate:%u 1 udp 1 10.0.0.1 %u typ host\r\n", i, i + 1);
	parse_bad(s->str, 6 + SDP_MAX_CANDIDATES);
	g_string_assign(s, HDR AUD);
	for (unsigned i = 1; i <= SDP_MAX_EXTMAPS + 1; i++)
		g_string_append_printf(s, "a=extmap:%u urn:x:%u\r\n", i, i);
	parse_bad(s->str, 6 + SDP_MAX_EXTMAPS);
	g_string_assign(s, HDR AUD);
	for (unsigned i = 0; i <= SDP_MAX_RIDS; i++)
		g_string_append_printf(s, "a=rid:r%u send\r\n", i);
	parse_bad(s->str, 6 + SDP_MAX_RIDS);
	/* A line of SDP_MAX_LINE bytes is fine, one more is not. */
	g_string_assign(s, HDR "a=x:");
	while (s->len < strlen(HDR) + SDP_MAX_LINE)
		g_string_append_c(s, 'x');
	g_string_append(s, "\r\n");
	sdp_free(parse_str(s->str));
	g_string_insert_c(s, strlen(HDR) + 3, 'x');
	parse_bad(s->str, 5);
	/* The whole text. */
	g_string_assign(s, HDR);
	while (s->len <= SDP_MAX_SIZE)
		g_string_append(s, "a=x-filler:0123456789012345678901234567890123456789\r\n");
	assert_int_equal(sdp_parse(&out, s->str, s->len, err, sizeof(err)), EMSGSIZE);
	assert_null(out);
	assert_int_equal(sdp_parse(NULL, s->str, s->len, err, sizeof(err)), EINVAL);
	g_string_free(s, TRUE);
}

/* Replacing any one line of a real offer with junk is reported on that line. */
static void test_error_names_line(void **state)
{
	for (unsigned f = 0; f < G_N_ELEMENTS(data_files); f++) {
		char *text = load(data_files[f], NULL);
		char **lines = g_strsplit(text, "\r\n", -1);
		unsigned n = g_strv_length(lines) - 1; /* the text ends with CRLF */

		for (unsigned i = 0; i < n; i++) {
			char *saved = lines[i];
			char *bad;

			lines[i] = "junk";
			bad = g_strjoinv("\r\n", lines);
			parse_bad(bad, i + 1);
			g_free(bad);
			lines[i] = saved;
		}
		g_strfreev(lines);
		g_free(text);
	}
}

/* Every prefix of every real description parses or fails cleanly; what
 * parses can be answered, and the answer parses. */
static void test_truncated(void **state)
{
	struct sdp_answer_params p;

	answer_params(&p);
	p.bundle_only = false;
	for (unsigned f = 0; f < G_N_ELEMENTS(data_files); f++) {
		size_t len;
		char *text = load(data_files[f], &len);

		for (size_t n = 0; n <= len; n++) {
			struct sdp *s = NULL, *a = NULL;
			char err[256] = "";
			int rc = sdp_parse(&s, text, n, err, sizeof(err));

			if (rc) {
				assert_int_equal(rc, EBADMSG);
				assert_memory_equal(err, "line ", 5);
				continue;
			}
			rc = sdp_answer_build(&a, s, &p);
			if (rc == 0) {
				char *t = write_ok(a);

				sdp_free(parse_str(t));
				g_free(t);
			} else {
				assert_true(rc == EPROTO);
			}
			sdp_free(a);
			sdp_free(s);
		}
		g_free(text);
	}
}

static void test_lenient_forms(void **state)
{
	/* LF line ends, blank and trailing-space lines, unknown attributes and
	 * line types, a wildcard rtcp-fb, session-level direction and extmap. */
	struct sdp *s = parse_str("v=0\n\no=- 1 1 IN IP4 0.0.0.0\nb=AS:30\nz=0\n"
				  "a=recvonly  \na=x-google-flag:conference\na=extmap:9 urn:x\n"
				  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n"
				  "a=rtcp-fb:* nack\na=rtcp-fb:96 ccm  fir\na=foo\na=simulcast: send rid=a,~b;c\n"
				  "a=msid:- t\n");
	const struct sdp_media *m = &s->media[0];
	char *text;

	assert_int_equal(m->dir, SDP_DIR_RECVONLY);
	assert_int_equal(m->codecs[0].fb, SDP_FB_NACK | SDP_FB_CCM_FIR);
	assert_int_equal(m->codecs[1].fb, SDP_FB_NACK);
	assert_null(m->codecs[0].name);
	assert_int_equal(sdp_extmap_id(m, "urn:x"), 9);
	assert_int_equal(m->sim_send.n_rids, 3);
	assert_true(m->sim_send.rids[1].paused);
	assert_int_equal(m->sim_send.rids[1].stream, 0);
	assert_int_equal(m->sim_send.rids[2].stream, 1);
	assert_string_equal(m->msid_stream, "-");
	assert_true(sdp_dir_recvs(m->dir));
	assert_false(sdp_dir_sends(m->dir));
	sdp_free(s);
	/* A name with leading spaces is kept, and written back. */
	s = parse_str("v=0\ns=  x\n");
	assert_string_equal(s->name, "  x");
	text = write_ok(s);
	sdp_free(s);
	s = parse_str(text);
	assert_string_equal(s->name, "  x");
	g_free(text);
	sdp_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome_offer_session),
		cmocka_unit_test(test_chrome_offer_audio),
		cmocka_unit_test(test_chrome_offer_video),
		cmocka_unit_test(test_chrome_simulcast),
		cmocka_unit_test(test_firefox_offer),
		cmocka_unit_test(test_firefox_simulcast),
		cmocka_unit_test(test_recvonly_and_answers),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_answer_real_offers),
		cmocka_unit_test(test_answer_simulcast),
		cmocka_unit_test(test_answer_rejects),
		cmocka_unit_test(test_answer_roles_and_bundle),
		cmocka_unit_test(test_answer_errors),
		cmocka_unit_test(test_offer_build),
		cmocka_unit_test(test_offer_build_invalid),
		cmocka_unit_test(test_write_rejects_injection),
		cmocka_unit_test(test_frag),
		cmocka_unit_test(test_candidate),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_names_line),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lenient_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
