/* api.c - see api.h: routes, authentication, service endpoints. */
#define LOG_MOD "api"
#include "signaling/api.h"
#include "signaling/sse.h"
#include "config/config.h"
#include "rooms/rooms.h"
#include "media/base/counters.h"
#include "media/base/util.h"

#include <stdio.h>
#include <string.h>

static const char *secret_lookup(const char *key, void *arg)
{
	return config_api_secret(arg, key);
}

bool api_auth(struct http_req *req, struct api *a, struct jwt_grants *g)
{
	const char *h = http_req_header(req, "Authorization");
	const char *token = NULL;
	enum jwt_result res;
	char msg[128];

	if (h && g_ascii_strncasecmp(h, "Bearer ", 7) == 0)
		token = h + 7;
	else if (!h)
		token = http_req_query(req, "access_token");
	if (!token || !*token) {
		http_respond_error(req, APIERR_UNAUTHORIZED,
				   "an access token is required (Authorization: Bearer ...)");
		return false;
	}
	res = jwt_verify(token, util_unix_time(), a->cfg->token_leeway, secret_lookup,
			 (void *)a->cfg, g);
	if (res == JWT_OK)
		return true;
	snprintf(msg, sizeof(msg), "access token rejected: %s", jwt_result_str(res));
	http_respond_error(req, res == JWT_EXPIRED ? APIERR_TOKEN_EXPIRED : APIERR_UNAUTHORIZED,
			   msg);
	return false;
}

bool api_body(struct http_req *req, const struct jsonv_field *fields, bool empty_ok,
	      json_t **out)
{
	size_t len;
	const char *body = http_req_body(req, &len);
	char msg[160];
	enum apierr e;

	if (len > 0 && !http_req_content_type_is(req, "application/json")) {
		http_respond_error(req, APIERR_UNSUPPORTED_MEDIA_TYPE,
				   "the body must be application/json");
		return false;
	}
	e = jsonv_parse(body, len, empty_ok, out, msg, sizeof(msg));
	if (!e) {
		e = jsonv_check(*out, fields, msg, sizeof(msg));
		if (e)
			json_decref(*out);
	}
	if (e)
		http_respond_error(req, e, msg);
	return e == APIERR_NONE;
}

const char *api_pid_param(struct http_req *req)
{
	const char *pid = http_req_param(req, "pid");

	if (!rooms_pid_valid(pid)) {
		http_respond_error(req, APIERR_INVALID_ID, "participant ids look like PA_xxxxxxxxxxxx");
		return NULL;
	}
	return pid;
}

bool api_can_join(const struct jwt_grants *g, const char *room)
{
	return g->room_join && g->room && strcmp(g->room, room) == 0;
}

const char *api_room_param(struct http_req *req)
{
	const char *room = http_req_param(req, "room");

	if (!rooms_name_valid(room)) {
		http_respond_error(req, APIERR_INVALID_ID,
				   "a room name is 1 to 128 characters of A-Z a-z 0-9 . _ ~ -");
		return NULL;
	}
	return room;
}

static void healthz(struct http_req *req, void *arg)
{
	http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void info(struct http_req *req, void *arg)
{
	struct api *a = arg;

	http_respond_json(req, 200,
			  json_pack("{s:s, s:s, s:b, s:I, s:[s,s,s,s,s,s,s]}", "name", "parley",
				    "version", PARLEY_VERSION, "dev", a->cfg->dev, "started_at",
				    (json_int_t)a->started_at, "capabilities", "rooms",
				    "participants", "events", "access_tokens", "media", "whip", "whep"));
}

static void metric(GString *m, const char *name, const char *help, uint64_t v)
{
	g_string_append_printf(m, "# HELP %s %s\n# TYPE %s counter\n%s %" G_GUINT64_FORMAT "\n",
			       name, help, name, name, v);
}

/* parley_forward_delay_seconds: a Prometheus histogram (cumulative
 * buckets) of media_counters.fwd_delay. */
static void delay_histogram(GString *m, const struct media_counters *mc)
{
	const char *name = "parley_forward_delay_seconds";
	uint64_t n = 0;

	g_string_append_printf(m,
			       "# HELP %s Time from a media packet's arrival to each copy's send "
			       "(a copy per subscriber).\n# TYPE %s histogram\n",
			       name, name);
	for (unsigned i = 0; i < MEDIA_DELAY_BUCKETS; i++) {
		n += mc->fwd_delay[i];
		g_string_append_printf(m, "%s_bucket{le=\"%g\"} %" G_GUINT64_FORMAT "\n", name,
				       media_delay_bounds_us[i] / 1e6, n);
	}
	n += mc->fwd_delay[MEDIA_DELAY_BUCKETS];
	g_string_append_printf(m,
			       "%s_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n%s_sum %.6f\n"
			       "%s_count %" G_GUINT64_FORMAT "\n",
			       name, n, name, (double)mc->fwd_delay_us / 1e6, name, n);
}

static void metrics(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct rooms_stats st;
	char *text;

	rooms_stats_get(a->rooms, &st);
	text = g_strdup_printf(
		"# HELP parley_rooms Rooms on this node.\n# TYPE parley_rooms gauge\n"
		"parley_rooms %u\n"
		"# HELP parley_participants Participants on this node.\n"
		"# TYPE parley_participants gauge\nparley_participants %u\n"
		"# HELP parley_event_streams Open event streams.\n"
		"# TYPE parley_event_streams gauge\nparley_event_streams %u\n"
		"# HELP parley_joins_total Participants that joined.\n"
		"# TYPE parley_joins_total counter\nparley_joins_total %llu\n"
		"# HELP parley_leaves_total Participants that left or were removed.\n"
		"# TYPE parley_leaves_total counter\nparley_leaves_total %llu\n"
		"# HELP parley_participant_timeouts_total Participants removed for not reading events.\n"
		"# TYPE parley_participant_timeouts_total counter\n"
		"parley_participant_timeouts_total %llu\n"
		"# HELP parley_events_total Events queued to participants.\n"
		"# TYPE parley_events_total counter\nparley_events_total %llu\n",
		st.rooms, st.participants, sse_hub_count(a->hub), st.joins, st.leaves, st.timeouts,
		st.events);
	{
		struct media_counters mc;
		GString *m = g_string_new(text);

		media_counters_sum(&mc);
		metric(m, "parley_rtp_packets_in_total", "RTP packets received (after SRTP).", mc.rtp_in);
		metric(m, "parley_rtp_packets_out_total", "RTP packets sent.", mc.rtp_out);
		metric(m, "parley_rtcp_packets_in_total", "RTCP packets received.", mc.rtcp_in);
		metric(m, "parley_rtcp_packets_out_total", "RTCP packets sent.", mc.rtcp_out);
		metric(m, "parley_media_bytes_in_total", "Media datagram bytes received.", mc.bytes_in);
		metric(m, "parley_media_bytes_out_total", "Media datagram bytes sent.", mc.bytes_out);
		metric(m, "parley_srtp_errors_total", "SRTP/SRTCP packets that failed unprotect.",
		       mc.srtp_errors);
		metric(m, "parley_media_dropped_total", "Datagrams dropped (unknown kind, too early).",
		       mc.dropped);
		metric(m, "parley_media_send_errors_total", "Packets that could not be sent.",
		       mc.send_errors);
		metric(m, "parley_retransmits_total", "Packets resent for subscribers' NACKs.",
		       mc.retransmits);
		metric(m, "parley_nacks_sent_total", "NACKs sent to publishers.", mc.nacks_out);
		metric(m, "parley_plis_sent_total", "Keyframe requests sent to publishers.", mc.plis_out);
		metric(m, "parley_transports_closed_total", "Connections that failed or timed out.",
		       mc.transports_failed);
		metric(m, "parley_ice_restarts_total", "ICE restarts (by peers or by parleyd).",
		       mc.ice_restarts);
		metric(m, "parley_ice_failures_total",
		       "ICE check lists that failed on a connected transport (path lost).",
		       mc.ice_failures);
		metric(m, "parley_lane_sent_total",
		       "Datagrams a media worker sent for another one (parallel fanout).",
		       mc.lane_sent);
		metric(m, "parley_lane_full_total",
		       "Datagrams a room's worker sent itself because the other worker's lane was full.",
		       mc.lane_full);
		metric(m, "parley_stun_rejected_total",
		       "STUN messages on the media port dropped: malformed, unknown ufrag, failed integrity.",
		       mc.stun_rejected);
		metric(m, "parley_udp_unknown_total",
		       "Datagrams on the media port from an address no connection checked.",
		       mc.udp_unknown);
		delay_histogram(m, &mc);
		http_respond_text(req, 200, "text/plain; version=0.0.4", m->str, m->len);
		g_string_free(m, TRUE);
	}
	g_free(text);
}

static const struct jsonv_field dev_token_fields[] = {
	{ "room", JSONV_STRING, true, 1, 128 },
	{ "identity", JSONV_STRING, true, 1, 128 },
	{ "name", JSONV_STRING, false, 0, 256 },
	{ "metadata", JSONV_STRING, false, 0, 16384 },
	{ 0 },
};

static void dev_token(struct http_req *req, void *arg)
{
	struct api *a = arg;
	struct jwt_grants g = { 0 };
	json_t *body;
	char *token;

	if (!a->cfg->dev) {
		http_respond_error(req, APIERR_NOT_FOUND, "the token endpoint exists in dev mode only");
		return;
	}
	if (!api_body(req, dev_token_fields, false, &body))
		return;
	g.room = (char *)json_string_value(json_object_get(body, "room"));
	g.identity = (char *)json_string_value(json_object_get(body, "identity"));
	g.name = (char *)json_string_value(json_object_get(body, "name"));
	g.metadata = (char *)json_string_value(json_object_get(body, "metadata"));
	if (!rooms_name_valid(g.room) || !rooms_identity_valid(g.identity)) {
		http_respond_error(req, APIERR_INVALID_FIELD,
				   !rooms_name_valid(g.room) ? "room is not a valid room name" :
							       "identity is not valid");
		json_decref(body);
		return;
	}
	g.api_key = a->cfg->dev_api_key;
	g.nbf = util_unix_time();
	g.exp = g.nbf + a->cfg->dev_token_ttl;
	g.room_join = g.can_publish = g.can_subscribe = g.can_publish_data = true;
	token = jwt_sign(&g, a->cfg->dev_api_secret);
	http_respond_json(req, 200,
			  json_pack("{s:s, s:I}", "token", token, "expires_at", (json_int_t)g.exp));
	g_free(token);
	json_decref(body);
}

static const struct http_route routes[] = {
	{ "GET", "/healthz", healthz },
	{ "GET", "/metrics", metrics },
	{ "GET", "/v1/info", info },
	{ "POST", "/v1/dev/token", dev_token },
	{ "POST", "/v1/rooms", api_rooms_create },
	{ "GET", "/v1/rooms", api_rooms_list },
	{ "GET", "/v1/rooms/{room}", api_rooms_get },
	{ "PATCH", "/v1/rooms/{room}", api_rooms_update },
	{ "DELETE", "/v1/rooms/{room}", api_rooms_delete },
	{ "POST", "/v1/rooms/{room}/participants", api_participants_join },
	{ "GET", "/v1/rooms/{room}/participants", api_participants_list },
	{ "DELETE", "/v1/rooms/{room}/participants/{pid}", api_participants_leave },
	{ "GET", "/v1/rooms/{room}/participants/{pid}/events", api_participants_events },
	{ "POST", "/v1/rooms/{room}/participants/{pid}/publish", api_media_publish },
	{ "PATCH", "/v1/rooms/{room}/participants/{pid}/publish", api_media_trickle_publish },
	{ "POST", "/v1/rooms/{room}/participants/{pid}/subscribe", api_media_subscribe },
	{ "GET", "/v1/rooms/{room}/participants/{pid}/subscribe", api_media_pending_offer },
	{ "PATCH", "/v1/rooms/{room}/participants/{pid}/subscribe", api_media_trickle_subscribe },
	{ "POST", "/v1/rooms/{room}/participants/{pid}/subscribe/restart",
	  api_media_subscribe_restart },
	{ "PATCH", "/v1/rooms/{room}/participants/{pid}/tracks/{track}", api_tracks_update },
	{ "POST", "/whip/{room}", api_whip_create },
	{ "PATCH", "/whip/{room}/{session}", api_whip_patch },
	{ "DELETE", "/whip/{room}/{session}", api_whip_delete },
	{ "POST", "/whep/{room}", api_whep_create },
	{ "PATCH", "/whep/{room}/{session}", api_whep_patch },
	{ "DELETE", "/whep/{room}/{session}", api_whep_delete },
	{ 0 },
};

const struct http_route *api_routes(void)
{
	return routes;
}
