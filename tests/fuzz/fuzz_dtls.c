/* fuzz_dtls.c - libFuzzer target for media/dtls.c.
 *
 * Every run sets up a real client and server session (two certificates made
 * once per process), lets the ClientHello reach the server and the server's
 * flight come back, so that the server waits in the middle of the handshake
 * for the client's second flight. Then the input is fed to it. The first byte
 * picks how:
 *   bit 0 clear: the rest is datagrams, each behind a 2-byte big-endian
 *                length, handed to dtls_sess_recv as they are;
 *   bit 0 set:   the rest edits the client's real second flight before it is
 *                delivered: 2 bytes of new length (0: keep), then triples of
 *                2-byte offset and a byte to XOR there, so that the mutations
 *                reach the plaintext Certificate, ClientKeyExchange and
 *                CertificateVerify parsers;
 *   bit 1 set:   the client's real flight is delivered first, then the input
 *                (raw datagrams, or the edited flight replayed) hits a
 *                server that is already connected;
 *   bit 2 set:   whatever the server sends back is delivered to the client,
 *                a few rounds, and application data is tried both ways.
 * Nothing may crash or leak, a session reports connected and failed at most
 * once each, and the timers are never run (the context is not iterated):
 * freeing must clean them up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "media/base/log.h"
#include "media/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct side {
	struct dtls_sess *sess;
	GPtrArray *out; /* GBytes: datagrams it sent, not yet delivered */
	int connected;
	int failed;
};

static struct dtls_cert *certs[2]; /* client's, server's; kept for the process */
static uint8_t fps[2][DTLS_FP_MAX];
static size_t fp_lens[2];
static GMainContext *ctx;

static void on_send(void *arg, const uint8_t *d, size_t len)
{
	struct side *s = arg;

	g_ptr_array_add(s->out, g_bytes_new(d, len));
}

static void on_connected(void *arg, const struct dtls_srtp_keys *k)
{
	struct side *s = arg;

	if (++s->connected > 1 || k->key_len + k->salt_len > DTLS_SRTP_MASTER_MAX)
		abort();
}

static void on_failed(void *arg, int err, const char *reason)
{
	struct side *s = arg;

	if (++s->failed > 1 || !reason || err == 0)
		abort();
}

static void on_app(void *arg, const uint8_t *d, size_t len)
{
	if (len == 0 || len > 16384)
		abort();
}

static const struct dtls_handlers handlers = {
	.send = on_send,
	.connected = on_connected,
	.failed = on_failed,
	.app_data = on_app,
};

static void fuzz_init(void)
{
	char s[DTLS_FP_STR_MAX];

	log_level_set(LOG_LVL_ERROR);
	ctx = g_main_context_new();
	for (int i = 0; i < 2; i++) {
		if (dtls_cert_generate(&certs[i]) != 0 ||
		    dtls_cert_fingerprint(certs[i], "sha-256", s, sizeof(s)) != 0 ||
		    dtls_fingerprint_parse(s, fps[i], sizeof(fps[i]), &fp_lens[i]) != 0)
			abort();
	}
}

static void side_alloc(struct side *sd, int i)
{
	struct dtls_sess_params p = {
		.role = i == 0 ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER,
		.fp_alg = "sha-256",
		.fp = fps[!i],
		.fp_len = fp_lens[!i],
		.ctx = ctx,
		.name = i == 0 ? "fuzz-cli" : "fuzz-srv",
	};

	memset(sd, 0, sizeof(*sd));
	sd->out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	if (dtls_sess_alloc(&sd->sess, certs[i], &p, &handlers, sd) != 0)
		abort();
}

/* Hands what `from` sent to `to`, in order; what `to` answers queues up. */
static void deliver(struct side *from, struct side *to)
{
	GPtrArray *q = from->out;

	from->out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (guint i = 0; i < q->len; i++) {
		gsize len;
		const uint8_t *d = g_bytes_get_data(q->pdata[i], &len);

		(void)dtls_sess_recv(to->sess, d, len);
	}
	g_ptr_array_unref(q);
}

static void feed_raw(struct side *to, const uint8_t *d, size_t size)
{
	while (size >= 2) {
		size_t len = (size_t)d[0] << 8 | d[1];

		d += 2;
		size -= 2;
		if (len > size)
			len = size;
		(void)dtls_sess_recv(to->sess, d, len);
		d += len;
		size -= len;
	}
}

/* Edits the client's flight (all its datagrams, one after the other) and
 * delivers it as one datagram. */
static void feed_patched(GPtrArray *flight, struct side *srv, const uint8_t *d,
			 size_t size)
{
	GByteArray *b = g_byte_array_new();
	size_t cut;

	for (guint i = 0; i < flight->len; i++) {
		gsize len;
		const uint8_t *p = g_bytes_get_data(flight->pdata[i], &len);

		g_byte_array_append(b, p, (guint)len);
	}
	cut = size >= 2 ? ((size_t)d[0] << 8 | d[1]) : 0;
	if (cut && cut < b->len)
		g_byte_array_set_size(b, (guint)cut);
	for (size_t i = 2; b->len && i + 3 <= size; i += 3)
		b->data[((size_t)d[i] << 8 | d[i + 1]) % b->len] ^= d[i + 2];
	(void)dtls_sess_recv(srv->sess, b->data, b->len);
	g_byte_array_unref(b);
}

static void exchange(struct side *cli, struct side *srv)
{
	static const uint8_t msg[] = "fuzz";

	for (int round = 0; round < 4; round++) {
		deliver(srv, cli);
		deliver(cli, srv);
	}
	(void)dtls_sess_send_app(cli->sess, msg, sizeof(msg));
	(void)dtls_sess_send_app(srv->sess, msg, sizeof(msg));
	deliver(srv, cli);
	deliver(cli, srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct side cli, srv;
	GPtrArray *flight;
	uint8_t mode;

	if (!ctx)
		fuzz_init();
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	side_alloc(&cli, 0);
	side_alloc(&srv, 1);
	if (dtls_sess_start(srv.sess) != 0 || dtls_sess_start(cli.sess) != 0)
		abort();
	deliver(&cli, &srv); /* ClientHello */
	deliver(&srv, &cli); /* the server's flight; the client answers */
	flight = cli.out;    /* taken: the server waits for it */
	cli.out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	if (mode & 2) {
		for (guint i = 0; i < flight->len; i++) {
			gsize len;
			const uint8_t *d = g_bytes_get_data(flight->pdata[i], &len);

			(void)dtls_sess_recv(srv.sess, d, len);
		}
	}
	if (mode & 1)
		feed_patched(flight, &srv, data, size);
	else
		feed_raw(&srv, data, size);
	if (mode & 4)
		exchange(&cli, &srv);
	dtls_sess_free(cli.sess);
	dtls_sess_free(srv.sess);
	g_ptr_array_unref(flight);
	g_ptr_array_unref(cli.out);
	g_ptr_array_unref(srv.out);
	return 0;
}
