/* sdp.h - WebRTC session descriptions: parse the offers and answers that
 * browsers and WHIP/WHEP clients send, build the server's answers (publish,
 * WHIP) and offers (subscribe, WHEP), and read and write the trickle ICE
 * fragments of RFC 8840 (application/trickle-ice-sdpfrag).
 *
 * The text is hostile input: sdp_parse enforces the limits below, reads
 * nothing past `len`, and reports a malformed line as EBADMSG with a message
 * that names the line and the reason. Unknown attributes and line types are
 * ignored.
 *
 * Unlike most of parley's objects, the model structs are public: they are
 * the data the SFU reads (mids, payload types, extension ids, SSRCs, rids)
 * and the data a caller fills to have an offer or a fragment written, so
 * hiding them behind getters would only add noise. Payload type numbers and
 * extension ids belong to the peer that wrote them: look them up with the
 * sdp_codec_find / sdp_extmap_id helpers, never assume a browser's numbers.
 *
 * Ownership: a `struct sdp` made by this module (sdp_parse, sdp_frag_parse,
 * sdp_answer_build, sdp_offer_build) owns every array and string it points
 * to and is released with sdp_free. A caller may also fill a `struct sdp`
 * (or the params structs) on its own with borrowed arrays and strings and
 * hand it to sdp_write or sdp_frag_write, which only read it; such a model
 * must not be passed to sdp_free.
 *
 * Threads: no global state; every function may be called from any thread
 * on objects that thread owns. Not on the packet path (allocates freely). */
#ifndef PARLEY_MEDIA_SDP_H
#define PARLEY_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits applied by the parsers; the writers accept any model that fits
 * them. Exceeding SDP_MAX_SIZE is EMSGSIZE, everything else EBADMSG. */
#define SDP_MAX_SIZE (64 * 1024) /* bytes of text */
#define SDP_MAX_LINE 4096        /* bytes of one line, without its CRLF */
#define SDP_MAX_MEDIA 64         /* m= sections */
#define SDP_MAX_CODECS 128       /* payload types per section (all of 0..127) */
#define SDP_MAX_FMTP_PARAMS 32   /* key=value pairs of one a=fmtp */
#define SDP_MAX_RTCP_FB 16       /* a=rtcp-fb per payload type */
#define SDP_MAX_CANDIDATES 64    /* a=candidate per section */
#define SDP_MAX_EXTMAPS 32       /* a=extmap per section */
#define SDP_MAX_SSRCS 64         /* distinct SSRCs per section */
#define SDP_MAX_SSRC_GROUPS 32   /* a=ssrc-group per section */
#define SDP_MAX_GROUP_SSRCS 8    /* SSRCs of one a=ssrc-group */
#define SDP_MAX_RIDS 16          /* a=rid per section, and rids per a=simulcast direction */

/* Header extensions a WebRTC SFU commonly negotiates. */
#define SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SDP_EXT_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define SDP_EXT_RRID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SDP_EXT_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDP_EXT_VIDEO_ORIENTATION "urn:3gpp:video-orientation"
#define SDP_EXT_TOFFSET "urn:ietf:params:rtp-hdrext:toffset"

enum sdp_kind {
	SDP_KIND_OTHER = 0, /* anything else; the name is in sdp_media.kind_name */
	SDP_KIND_AUDIO,
	SDP_KIND_VIDEO,
	SDP_KIND_APPLICATION,
};

enum sdp_proto {
	SDP_PROTO_OTHER = 0,      /* the text is in sdp_media.proto_name */
	SDP_PROTO_RTP_SAVPF,      /* UDP/TLS/RTP/SAVPF (also TCP/DTLS/RTP/SAVPF) */
	SDP_PROTO_RTP_OTHER,      /* another RTP profile: RTP/AVP, RTP/SAVPF, ... */
	SDP_PROTO_UDP_DTLS_SCTP,  /* UDP/DTLS/SCTP or TCP/DTLS/SCTP (RFC 8841) */
	SDP_PROTO_DTLS_SCTP,      /* legacy DTLS/SCTP with a=sctpmap */
};

enum sdp_dir {
	SDP_DIR_NONE = 0, /* not written; a parsed section reads as SENDRECV */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,  /* DTLS client */
	SDP_SETUP_PASSIVE, /* DTLS server */
	SDP_SETUP_HOLDCONN,
};

/* RTCP feedback the SFU understands (bits of sdp_codec.fb). */
enum sdp_fb {
	SDP_FB_NACK = 1u << 0,         /* "nack" */
	SDP_FB_NACK_PLI = 1u << 1,     /* "nack pli" */
	SDP_FB_CCM_FIR = 1u << 2,      /* "ccm fir" */
	SDP_FB_GOOG_REMB = 1u << 3,    /* "goog-remb" */
	SDP_FB_TRANSPORT_CC = 1u << 4, /* "transport-cc" */
};

enum sdp_cand_type { SDP_CAND_HOST = 0, SDP_CAND_SRFLX, SDP_CAND_PRFLX, SDP_CAND_RELAY };
enum sdp_cand_transport { SDP_CAND_UDP = 0, SDP_CAND_TCP };
enum sdp_tcptype { SDP_TCPTYPE_NONE = 0, SDP_TCPTYPE_ACTIVE, SDP_TCPTYPE_PASSIVE, SDP_TCPTYPE_SO };

/* A DTLS certificate fingerprint (RFC 8122). len 0: none. */
struct sdp_fingerprint {
	char alg[16];       /* lower case: "sha-256" */
	uint8_t len;        /* bytes used in `bytes`: 32 for sha-256 */
	uint8_t bytes[64];
};

/* One ICE candidate (RFC 8839), as in "candidate:1 1 udp 2122260223
 * 192.0.2.1 50000 typ host generation 0". */
struct sdp_candidate {
	const char *foundation;           /* 1-32 ice-chars */
	uint16_t component;               /* 1 RTP, 2 RTCP */
	enum sdp_cand_transport transport;
	uint32_t priority;
	const char *address;              /* IPv4, IPv6 or a host name (mDNS "x.local") */
	uint16_t port;
	enum sdp_cand_type type;
	const char *raddr;                /* related address, NULL if none */
	uint16_t rport;
	enum sdp_tcptype tcptype;
	int32_t generation;               /* -1: not given */
	const char *ufrag;                /* the "ufrag" extension, NULL if none */
	int32_t network_id;               /* Chrome's "network-id", -1: not given */
	int32_t network_cost;             /* Chrome's "network-cost", -1: not given */
};

/* One fmtp parameter. "a=fmtp:101 0-15" gives key "0-15" and value NULL. */
struct sdp_param {
	const char *key;
	const char *value;
};

/* One payload type of an RTP section. */
struct sdp_codec {
	uint8_t pt;
	const char *name;          /* as written ("opus", "VP8", "rtx"); the static
	                              name for 0-34 without a=rtpmap; NULL if unknown */
	uint32_t clock_rate;       /* 0 if unknown */
	uint8_t channels;          /* audio: 1 unless given; other kinds: 0 unless given */
	const char *fmtp;          /* the raw a=fmtp value, NULL if none */
	struct sdp_param *params;  /* fmtp parsed at ';' and '=', spaces trimmed */
	unsigned n_params;
	const char **rtcp_fb;      /* every a=rtcp-fb value ("nack pli", ...), one space between words */
	unsigned n_rtcp_fb;
	unsigned fb;               /* the SDP_FB_* among them */
	int rtx_pt;                /* the rtx payload type whose apt is this one, -1 none */
	int apt;                   /* rtx: the payload type it repairs (fmtp apt=), -1 none */
};

/* One RTP header extension (RFC 8285). */
struct sdp_extmap {
	uint16_t id;         /* 1-255 */
	enum sdp_dir dir;    /* SDP_DIR_NONE unless written as "id/dir" */
	const char *uri;
	const char *attrs;   /* extension attributes after the URI, NULL if none */
};

/* One SSRC with what a=ssrc lines said about it. */
struct sdp_ssrc {
	uint32_t ssrc;
	const char *cname;        /* NULL if none */
	const char *msid_stream;  /* from "a=ssrc:N msid:stream track", NULL if none */
	const char *msid_track;
};

/* a=ssrc-group: "FID <media> <rtx>", "SIM <low> <mid> <high>", ... */
struct sdp_ssrc_group {
	const char *semantics;
	uint32_t ssrcs[SDP_MAX_GROUP_SSRCS];
	unsigned n_ssrcs;
};

/* a=rid (RFC 8851). `dir` is SDP_DIR_SENDONLY for "send" and
 * SDP_DIR_RECVONLY for "recv". */
struct sdp_rid {
	const char *id;
	enum sdp_dir dir;
	const char *params;  /* restrictions ("pt=96;max-width=640"), NULL if none */
};

/* One rid of an a=simulcast list (RFC 8853). `stream` numbers the
 * ';'-separated streams from 0; alternatives of one stream (',') share it. */
struct sdp_sim_rid {
	const char *rid;
	bool paused;       /* written with '~' */
	unsigned stream;
};

struct sdp_simulcast {
	struct sdp_sim_rid *rids;
	unsigned n_rids;   /* 0: no such direction */
};

/* One m= section. ICE credentials, fingerprint and setup are the section's
 * own or, when it has none, inherited from the session level. */
struct sdp_media {
	enum sdp_kind kind;
	const char *kind_name;     /* as written; used when kind is SDP_KIND_OTHER */
	uint16_t port;             /* 0: rejected or stopped */
	enum sdp_proto proto;
	const char *proto_name;    /* as written; used when proto is SDP_PROTO_OTHER or RTP_OTHER */
	const char *fmt;           /* non-RTP sections: the raw format list
	                              ("webrtc-datachannel", "5000") */
	const char *conn_addr;     /* c= address, NULL if none */
	const char *mid;           /* NULL if none */
	enum sdp_dir dir;
	const char *ice_ufrag;     /* NULL if none */
	const char *ice_pwd;
	struct sdp_fingerprint fingerprint;
	enum sdp_setup setup;
	bool rtcp_mux;
	bool rtcp_mux_only;
	bool rtcp_rsize;
	bool bundle_only;
	bool end_of_candidates;
	bool extmap_allow_mixed;   /* at this level */
	const char *msid_stream;   /* first a=msid: "-" is "no stream" */
	const char *msid_track;    /* NULL if not given */
	uint16_t sctp_port;        /* a=sctp-port or the a=sctpmap port; 0 none */
	uint64_t max_message_size; /* 0 none */

	struct sdp_codec *codecs;  /* RTP: one per m= format, in m= line order */
	unsigned n_codecs;
	struct sdp_candidate *candidates;
	unsigned n_candidates;
	struct sdp_extmap *extmaps;
	unsigned n_extmaps;
	struct sdp_ssrc *ssrcs;
	unsigned n_ssrcs;
	struct sdp_ssrc_group *ssrc_groups;
	unsigned n_ssrc_groups;
	struct sdp_rid *rids;
	unsigned n_rids;
	struct sdp_simulcast sim_send; /* a=simulcast:send */
	struct sdp_simulcast sim_recv; /* a=simulcast:recv */
};

/* A session description, or a trickle ICE fragment (then only the ICE
 * fields, the bundle group and the sections' mid, credentials, candidates
 * and end-of-candidates mean something). */
struct sdp {
	const char *origin_user;   /* o= username, "-" usually */
	const char *sess_id;       /* o= sess-id and sess-version, digits */
	const char *sess_version;
	const char *name;          /* s= */
	const char *ice_ufrag;     /* session level, NULL if none */
	const char *ice_pwd;
	struct sdp_fingerprint fingerprint;
	enum sdp_setup setup;
	bool ice_trickle;          /* a=ice-options: trickle (any level) */
	bool ice2;                 /* a=ice-options: ice2 (any level) */
	bool ice_lite;
	bool extmap_allow_mixed;   /* at session level */
	bool end_of_candidates;    /* at session level */
	const char *msid_semantic; /* the raw a=msid-semantic value, NULL if none */
	const char **bundle;       /* mids of the first a=group:BUNDLE, in order */
	unsigned n_bundle;
	struct sdp_media *media;
	unsigned n_media;
	void *priv;                /* owned storage of a model made by this module */
};

/* Parses a session description of `len` bytes (NUL not needed, and not
 * allowed inside). Lines end in CRLF or LF. On success *out is a new model
 * for sdp_free. On error *out is untouched and `err` (if not NULL) holds a
 * message such as "line 12: a=rtpmap: payload type 98 not in the m= line".
 * Returns 0, EBADMSG (malformed or over a limit), EMSGSIZE (longer than
 * SDP_MAX_SIZE) or EINVAL (NULL arguments). */
int sdp_parse(struct sdp **out, const char *text, size_t len, char *err, size_t errsize);

/* Releases a model made by this module. NULL is fine. */
void sdp_free(struct sdp *s);

/* Writes a model as SDP text with CRLF line ends into *out (g_free it). A
 * section with port 0 is written as rejected: m=, c=, a=mid and a=inactive.
 * Returns 0, EINVAL when the model holds something that cannot be written
 * (a string with spaces or control characters where a token is expected, a
 * value out of range, too many items, a line over SDP_MAX_LINE), or EMSGSIZE
 * when the text would be longer than SDP_MAX_SIZE: the output of sdp_write
 * always parses. */
int sdp_write(const struct sdp *s, char **out);

/* Lookups on a model. They return borrowed pointers into it, or NULL / -1 /
 * 0 when there is no match. */
const struct sdp_media *sdp_media_by_mid(const struct sdp *s, const char *mid);
const struct sdp_codec *sdp_codec_by_pt(const struct sdp_media *m, unsigned pt);

/* The first codec of `m` whose encoding name (case-insensitive), clock rate
 * and channel count (0: any) match and, when `fmtp` is not NULL, whose
 * identity parameters match those in `fmtp`: for H264 packetization-mode
 * (default 0) and the profile of profile-level-id (default 42000a; the level
 * does not matter), for VP9 profile-id and for AV1 profile (default 0).
 * Example: sdp_codec_find(m, "H264", 90000, 0,
 * "packetization-mode=1;profile-level-id=42e01f"). */
const struct sdp_codec *sdp_codec_find(const struct sdp_media *m, const char *name,
				       uint32_t clock_rate, unsigned channels, const char *fmtp);

/* The rtx payload type that repairs `c` in `m`, or -1. */
int sdp_codec_rtx_pt(const struct sdp_media *m, const struct sdp_codec *c);

/* The value of fmtp parameter `key` (case-insensitive), or NULL. */
const char *sdp_codec_param(const struct sdp_codec *c, const char *key);

/* The id of the header extension with this URI in `m`, or 0. */
unsigned sdp_extmap_id(const struct sdp_media *m, const char *uri);

/* True when the direction sends / receives media. SDP_DIR_NONE counts as
 * SDP_DIR_SENDRECV. */
bool sdp_dir_sends(enum sdp_dir d);
bool sdp_dir_recvs(enum sdp_dir d);

/* The local end of the transport, as the builders write it in every section
 * they accept. */
struct sdp_transport_params {
	const char *ice_ufrag;                  /* 4-256 ice-chars */
	const char *ice_pwd;                    /* 22-256 ice-chars */
	struct sdp_fingerprint fingerprint;     /* of the local certificate */
	const struct sdp_candidate *candidates; /* borrowed; may be none (trickled later) */
	unsigned n_candidates;
	bool end_of_candidates;                 /* all candidates are listed */
	bool ice_lite;                          /* a=ice-lite (and no trickle) */
};

/* What the server accepts of one codec. */
struct sdp_codec_cap {
	const char *name;        /* encoding name, case-insensitive: "opus", "VP8" */
	uint32_t clock_rate;
	uint8_t channels;        /* 0: any */
	const char *fmtp;        /* identity parameters to match (see sdp_codec_find), NULL none */
	unsigned fb;             /* SDP_FB_* accepted, intersected with the offer's */
	bool rtx;                /* also accept the offer's rtx for it */
};

/* What the server accepts in one kind of section. */
struct sdp_media_caps {
	const struct sdp_codec_cap *codecs; /* in preference order; none: reject */
	unsigned n_codecs;
	unsigned max_codecs;                /* how many offered codecs to keep; 0: all that match */
	const char *const *ext_uris;        /* accepted header extensions, NULL-terminated; NULL none */
	enum sdp_dir dir;                   /* what the server does: RECVONLY (publish),
	                                       SENDONLY, SENDRECV */
	bool simulcast;                     /* answer the offer's send rids and a=simulcast */
};

struct sdp_answer_params {
	struct sdp_transport_params local;
	const char *sess_id;          /* o= values, digits; NULL: "0" and "1" */
	const char *sess_version;
	struct sdp_media_caps audio;
	struct sdp_media_caps video;
	bool bundle_only;             /* accept only the sections of the offer's BUNDLE group
	                                 (without a group, only the first acceptable one):
	                                 one ICE/DTLS transport carries everything */
	bool datachannel;             /* accept an SCTP data channel section */
	uint16_t sctp_port;           /* the server's SCTP port; 0: 5000 */
	uint64_t max_message_size;    /* 0: 262144 */
	/* Optional per-section caps, indexed like offer->media: an entry that is
	 * not NULL replaces the kind's caps for that section. */
	const struct sdp_media_caps *const *sections;
	unsigned n_sections;
};

/* Builds the answer to `offer` (RFC 3264, JSEP) as a new model for sdp_write
 * and sdp_free; the caller reads the negotiated payload types and extension
 * ids from it. Every offered section is answered in order with its mid:
 * accepted when the offer's port is not 0, its profile is UDP/TLS/RTP/SAVPF
 * (or UDP/DTLS/SCTP or DTLS/SCTP for data channels) with rtcp-mux, and a codec
 * matches the caps; otherwise rejected with port 0. An accepted section gets
 * the matching codecs in caps order with the offer's payload types, fmtp,
 * the accepted rtcp-fb and rtx, the accepted extensions with the offer's
 * ids, the direction that both sides allow, rtcp-rsize if offered, the
 * offer's send rids as recv when caps.simulcast, the local ICE credentials,
 * fingerprint, setup (passive for actpass or active, active for passive: the
 * server is the DTLS server whenever it may choose), and the local
 * candidates in the first section of the BUNDLE group (and in sections
 * outside it). The BUNDLE group lists the accepted mids in the offer's
 * order. Full ICE, with a=ice-options:trickle.
 * Returns 0, EINVAL (bad params, or an offer model that cannot be
 * written back), EMSGSIZE (the answer would be longer than SDP_MAX_SIZE) or
 * EPROTO when an otherwise acceptable section has no ICE credentials or
 * fingerprint. On error *out is untouched. */
int sdp_answer_build(struct sdp **out, const struct sdp *offer, const struct sdp_answer_params *p);

/* One codec of a server offer, with the server's own payload type numbers
 * (choose the usual ones: opus 111, VP8 96 with rtx 97). */
struct sdp_offer_codec {
	uint8_t pt;
	const char *name;
	uint32_t clock_rate;
	uint8_t channels;      /* 2 for opus, 0 for video */
	const char *fmtp;      /* NULL none */
	unsigned fb;           /* SDP_FB_* */
	uint8_t rtx_pt;        /* 0: no rtx */
};

/* One section of a server offer. */
struct sdp_offer_media {
	enum sdp_kind kind;              /* AUDIO, VIDEO or APPLICATION (data channel) */
	const char *mid;
	enum sdp_dir dir;                /* SENDONLY, or INACTIVE while nothing is sent */
	bool stopped;                    /* port 0: the slot is unused and kept for its mid */
	const struct sdp_offer_codec *codecs;
	unsigned n_codecs;
	const struct sdp_extmap *extmaps; /* server-chosen ids */
	unsigned n_extmaps;
	uint32_t ssrc;                   /* 0: none (no a=ssrc lines) */
	uint32_t rtx_ssrc;               /* 0: none; with ssrc gives a=ssrc-group:FID */
	const char *cname;
	const char *stream_id;           /* a=msid; NULL: "-" */
	const char *track_id;            /* NULL: no a=msid */
	bool rtcp_rsize;
	uint16_t sctp_port;              /* APPLICATION: 0: 5000 */
	uint64_t max_message_size;       /* APPLICATION: 0: 262144 */
};

struct sdp_offer_params {
	struct sdp_transport_params local;
	const char *sess_id;             /* digits; NULL: "0" */
	const char *sess_version;        /* digits; NULL: "1" (increase it on renegotiation) */
	const struct sdp_offer_media *media;
	unsigned n_media;
	bool bundle;                     /* a=group:BUNDLE with the mids of sections not stopped */
	bool extmap_allow_mixed;
};

/* The codecs parley speaks, as offered (with the usual payload types,
 * which are only ever ours: a peer's are read from its SDP) and as accepted
 * (Opus stereo; VP8 with NACK, PLI, FIR and RTX). Shared by the SFU and
 * parley-bench. */
#define SDP_PT_OPUS 111
#define SDP_PT_VP8 96
#define SDP_PT_VP8_RTX 97
extern const struct sdp_offer_codec sdp_offer_opus;
extern const struct sdp_offer_codec sdp_offer_vp8;
extern const struct sdp_codec_cap sdp_cap_opus;
extern const struct sdp_codec_cap sdp_cap_vp8;

/* Builds a server offer (setup actpass, rtcp-mux, full ICE with trickle) as
 * a new model for sdp_write and sdp_free. Returns 0, or EINVAL when a param
 * is missing or invalid (no mid, duplicate mid or payload type, a name that
 * is not a token, ...). On error *out is untouched. */
int sdp_offer_build(struct sdp **out, const struct sdp_offer_params *p);

/* Parses a trickle ICE fragment (RFC 8840, application/trickle-ice-sdpfrag):
 * a=ice-ufrag, a=ice-pwd, a=ice-options, a=group:BUNDLE, m= lines with a=mid,
 * a=candidate and a=end-of-candidates. Session-level credentials are
 * inherited by the sections; candidates before any m= line go into a
 * section without mid. Same limits, errors and ownership as sdp_parse. */
int sdp_frag_parse(struct sdp **out, const char *text, size_t len, char *err, size_t errsize);

/* Writes a fragment: session credentials and ice-options, then per section
 * an m= line, a=mid, its credentials, candidates and end-of-candidates.
 * Returns 0 or EINVAL (see sdp_write). */
int sdp_frag_write(const struct sdp *frag, char **out);

/* Parses one candidate attribute: "candidate:...", with or without "a=" in
 * front, as browsers hand them out in RTCIceCandidate.candidate. *out is
 * for sdp_candidate_free. Returns 0, EBADMSG (with a reason in err) or
 * EINVAL. */
int sdp_candidate_parse(struct sdp_candidate **out, const char *text, size_t len,
			char *err, size_t errsize);

void sdp_candidate_free(struct sdp_candidate *c);

/* Writes "candidate:..." (without "a=") into *out (g_free it). Returns 0 or
 * EINVAL. */
int sdp_candidate_write(const struct sdp_candidate *c, char **out);

/* Names as SDP writes them: "audio", "sendonly", "actpass", "host". */
const char *sdp_kind_name(enum sdp_kind k);
const char *sdp_dir_name(enum sdp_dir d);
const char *sdp_setup_name(enum sdp_setup s);
const char *sdp_cand_type_name(enum sdp_cand_type t);

#endif
