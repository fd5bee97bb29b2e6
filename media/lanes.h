/* lanes.h - datagrams that one worker hands to another to send.
 *
 * A room's worker forwards each incoming packet to every subscriber in
 * turn; most of a forward's cost is the sendto() (the kernel's UDP path),
 * so a large room's fanout is serial and the last subscriber of a burst
 * waits for all the others. With lanes, a subscriber's transport may send
 * on another worker: the room's worker still does everything else (the
 * rewrite, SRTP, the transport's state) and only copies the protected
 * datagram into the lane; the other worker sends it. Both workers then
 * send at once.
 *
 * A lane is a single-producer, single-consumer ring from one worker to
 * another (fixed slots, nothing allocated per packet, no lock). A worker
 * drains every lane into it from one GSource on its context; a producer
 * writes the worker's eventfd only when that worker has gone to sleep (a
 * flag it raises before polling), so a busy worker takes a burst without a
 * system call per packet. When a lane is full (its worker is busy with
 * something else), lane_send refuses the datagram and the caller sends it
 * itself: it may then overtake a few still queued for the same peer, which
 * receivers' jitter buffers absorb, and nothing is lost. media_counters
 * count both (lane_sent, lane_full). */
#ifndef PARLEY_MEDIA_LANES_H
#define PARLEY_MEDIA_LANES_H

#include <stddef.h>
#include <sys/socket.h>

struct workers;
struct worker;
struct lanes; /* every lane of a worker pool */
struct lane;  /* one worker to another */

/* Largest datagram a lane carries (an RTP packet of a pktbuf plus the SRTP
 * trailer). */
#define LANE_MTU 1632

/* Makes the lanes of a pool and attaches each worker's drain source.
 * `slots` per lane (a power of two, 16..65536; 0 = 512: a lane costs about
 * 1.7 KiB per slot once used). Lanes themselves are made on first use.
 * Returns 0, EINVAL, or eventfd's errno. @thread main (start-up) */
int lanes_alloc(struct lanes **out, struct workers *ws, unsigned slots);

/* Frees the lanes; call after workers_free (nothing may use them then).
 * NULL is fine. @thread main */
void lanes_free(struct lanes *ls);

/* The lane from `from` to `to`, made if needed; NULL when from == to (send
 * on the spot). @thread any */
struct lane *lanes_get(struct lanes *ls, struct worker *from, struct worker *to);

/* The worker a lane delivers to. @thread any */
struct worker *lane_worker(const struct lane *l);

/* Queues one datagram for `to` on socket `fd`; the lane's worker sends it
 * soon, in order. Returns 0; ENOBUFS when the lane is full or EMSGSIZE
 * (len > LANE_MTU): not queued, the caller sends it. @thread the lane's
 * producer (its `from` worker) */
int lane_send(struct lane *l, int fd, const struct sockaddr *to, socklen_t tolen,
	      const void *buf, size_t len);

/* Closes `fd` (the caller's to give: a descriptor the caller dup()ed for
 * the lane, since libnice closes its own sockets when it likes) once the
 * lane's worker has sent everything queued before this call, so that no
 * queued datagram reaches a closed descriptor or one that got its number
 * since. @thread the lane's producer */
void lane_release(struct lane *l, int fd);

#endif
