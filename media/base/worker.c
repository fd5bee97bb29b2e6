/* worker.c - see worker.h. */
#define LOG_MOD "worker"
#include "media/base/worker.h"

#include "media/base/log.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

struct worker {
	struct workers *pool; /* borrowed */
	unsigned index;
	GMainContext *ctx;    /* owned */
	GMainLoop *loop;      /* owned */
	GThread *thread;      /* owned */
	gint load;
	/* Set under `post_lock`, so that no job is attached after the worker's
	 * last drain (it would never run, and its argument would leak). */
	GMutex post_lock;
	gint stopping;
};

struct workers {
	unsigned n;
	struct worker *w; /* owned, n entries */
};

struct job {
	worker_fn_h *fn;
	void *arg;
};

struct sync_job {
	worker_fn_h *fn;
	void *arg;
	GMutex lock;
	GCond cond;
	bool done;
};

static _Thread_local struct worker *current_worker;

static gboolean job_run(gpointer data)
{
	struct job *j = data;

	j->fn(j->arg);
	return G_SOURCE_REMOVE;
}

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;

	current_worker = w;
	g_main_context_push_thread_default(w->ctx);
	g_main_loop_run(w->loop);
	/* Run what was posted before the stop request but not yet dispatched. */
	while (g_main_context_iteration(w->ctx, FALSE))
		;
	g_main_context_pop_thread_default(w->ctx);
	current_worker = NULL;
	return NULL;
}

int workers_alloc(struct workers **out, unsigned n)
{
	struct workers *ws;

	if (n == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores > 0 ? (unsigned)cores : 1;
	}
	if (n > 256)
		return EINVAL;

	ws = g_new0(struct workers, 1);
	ws->n = n;
	ws->w = g_new0(struct worker, n);
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &ws->w[i];
		char name[16];

		w->pool = ws;
		w->index = i;
		g_mutex_init(&w->post_lock);
		w->ctx = g_main_context_new();
		w->loop = g_main_loop_new(w->ctx, FALSE);
		g_snprintf(name, sizeof(name), "worker-%u", i);
		w->thread = g_thread_new(name, worker_main, w);
	}
	log_info("%u media worker(s) started", n);
	*out = ws;
	return 0;
}

struct prio_job {
	enum worker_priority p;
	int err;
};

static void prio_apply(void *arg)
{
	struct prio_job *j = arg;
	struct sched_param sp = { 0 };
	int err;

	switch (j->p) {
	case WORKER_PRIORITY_NORMAL:
		err = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
		if (!err && setpriority(PRIO_PROCESS, (id_t)gettid(), 0))
			err = errno;
		break;
	case WORKER_PRIORITY_HIGH: /* on Linux the nice value is per thread */
		err = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
		if (!err && setpriority(PRIO_PROCESS, (id_t)gettid(), -10))
			err = errno;
		break;
	case WORKER_PRIORITY_REALTIME:
		sp.sched_priority = 10;
		err = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
		break;
	default:
		err = EINVAL;
	}
	j->err = err;
}

int workers_set_priority(struct workers *ws, enum worker_priority p)
{
	for (unsigned i = 0; i < ws->n; i++) {
		struct prio_job j = { .p = p };
		int err = worker_call(&ws->w[i], prio_apply, &j);

		if (!err)
			err = j.err;
		if (err) { /* all or none: the ones done go back */
			for (unsigned k = 0; k < i; k++) {
				struct prio_job back = { .p = WORKER_PRIORITY_NORMAL };

				(void)worker_call(&ws->w[k], prio_apply, &back);
			}
			return err;
		}
	}
	return 0;
}

static void worker_quit(void *arg)
{
	struct worker *w = arg;

	g_main_loop_quit(w->loop);
}

void workers_free(struct workers *ws)
{
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];
		struct job *j = g_new(struct job, 1);
		GSource *src = g_idle_source_new();

		g_mutex_lock(&w->post_lock);
		g_atomic_int_set(&w->stopping, 1);
		g_mutex_unlock(&w->post_lock);
		j->fn = worker_quit;
		j->arg = w;
		g_source_set_priority(src, G_PRIORITY_LOW);
		g_source_set_callback(src, job_run, j, g_free);
		g_source_attach(src, w->ctx);
		g_source_unref(src);
	}
	/* Every thread is gone before anything of a worker goes: one still
	 * running may post to another (it gets ESHUTDOWN, under that worker's
	 * post_lock). */
	for (unsigned i = 0; i < ws->n; i++)
		g_thread_join(ws->w[i].thread);
	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		g_main_loop_unref(w->loop);
		g_main_context_unref(w->ctx);
		g_mutex_clear(&w->post_lock);
	}
	g_free(ws->w);
	g_free(ws);
}

unsigned workers_count(const struct workers *ws)
{
	return ws->n;
}

struct worker *workers_get(struct workers *ws, unsigned i)
{
	return i < ws->n ? &ws->w[i] : NULL;
}

struct worker *workers_pick(struct workers *ws)
{
	struct worker *best = &ws->w[0];

	for (unsigned i = 1; i < ws->n; i++) {
		if (g_atomic_int_get(&ws->w[i].load) < g_atomic_int_get(&best->load))
			best = &ws->w[i];
	}
	return best;
}

void worker_load_add(struct worker *w, int delta)
{
	g_atomic_int_add(&w->load, delta);
}

int worker_post(struct worker *w, worker_fn_h *fn, void *arg)
{
	struct job *j;
	GSource *src;

	g_mutex_lock(&w->post_lock);
	if (g_atomic_int_get(&w->stopping)) {
		g_mutex_unlock(&w->post_lock);
		return ESHUTDOWN;
	}
	j = g_new(struct job, 1);
	j->fn = fn;
	j->arg = arg;
	src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, job_run, j, g_free);
	g_source_attach(src, w->ctx);
	g_mutex_unlock(&w->post_lock);
	g_source_unref(src);
	return 0;
}

static void sync_job_run(void *arg)
{
	struct sync_job *sj = arg;

	sj->fn(sj->arg);
	g_mutex_lock(&sj->lock);
	sj->done = true;
	g_cond_signal(&sj->cond);
	g_mutex_unlock(&sj->lock);
}

int worker_call(struct worker *w, worker_fn_h *fn, void *arg)
{
	struct sync_job sj = { .fn = fn, .arg = arg };
	int err;

	g_assert(current_worker == NULL);
	g_mutex_init(&sj.lock);
	g_cond_init(&sj.cond);
	err = worker_post(w, sync_job_run, &sj);
	if (!err) {
		g_mutex_lock(&sj.lock);
		while (!sj.done)
			g_cond_wait(&sj.cond, &sj.lock);
		g_mutex_unlock(&sj.lock);
	}
	g_mutex_clear(&sj.lock);
	g_cond_clear(&sj.cond);
	return err;
}

GMainContext *worker_context(struct worker *w)
{
	return w->ctx;
}

unsigned worker_index(const struct worker *w)
{
	return w->index;
}

bool worker_is_current(const struct worker *w)
{
	return current_worker == w;
}
