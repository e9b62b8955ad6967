/*
 * deadlock_control.c - programs for the deadlock check of libgoc's tsan and
 * debug builds (task.h), one per mode: those that deadlock must exit with
 * "fatal error: all goroutines are asleep - deadlock!", those that only
 * look stuck for a while (a thread libgoc does not know, a task asleep, a
 * pending context deadline) must finish and print "done MODE". A task
 * left blocked at exit must be reported as a leak. One that hangs without
 * a deadlock must answer SIGQUIT with the dump and exit 2.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goc/goc.h"

static goc_chan *ch;
static goc_wg wg;

static void recv_forever(void *arg)
{
	(void)arg;
	int v;
	(void)goc_chan_recv(ch, &v, GOC_FOREVER);
	goc_wg_done(&wg);
}

/* A thread that never used libgoc until it sends, a second from now. */
static void *raw_send_later(void *arg)
{
	(void)arg;
	sleep(1);
	int v = 1;
	(void)goc_chan_send(ch, &v, GOC_FOREVER);
	return NULL;
}

/* A thread libgoc does not know, which never ends: no deadlock can be declared while it lives. */
static void *raw_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void task_send_later(void *arg)
{
	(void)arg;
	goc_sleep(300 * 1000000LL);
	int v = 1;
	(void)goc_chan_send(ch, &v, GOC_FOREVER);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	ch = goc_chan_make(sizeof(int), 0);
	goc_wg_init(&wg);
	int v = 1;
	if (!strcmp(mode, "send")) { /* deadlocks: nobody receives */
		(void)goc_chan_send(ch, &v, GOC_FOREVER);
	} else if (!strcmp(mode, "wg")) { /* deadlocks: the task waits for a send nobody makes */
		goc_wg_add(&wg, 1);
		(void)goc_go(recv_forever, NULL);
		(void)goc_wg_wait(&wg, GOC_FOREVER);
	} else if (!strcmp(mode, "select-no-cases")) { /* deadlocks: Go's select {} */
		(void)goc_select(NULL, 0, GOC_FOREVER, NULL);
	} else if (!strcmp(mode, "raw-thread")) { /* finishes: a thread libgoc does not know sends */
		pthread_t t;
		pthread_create(&t, NULL, raw_send_later, NULL);
		(void)goc_chan_recv(ch, &v, GOC_FOREVER);
		pthread_join(t, NULL);
	} else if (!strcmp(mode, "task-asleep")) { /* finishes: a task sleeps, then sends */
		(void)goc_go(task_send_later, NULL);
		(void)goc_chan_recv(ch, &v, GOC_FOREVER);
	} else if (!strcmp(mode, "ctx-deadline")) { /* finishes: the context's deadline closes done */
		goc_ctx *c = goc_ctx_with_timeout(goc_ctx_background(), 300 * 1000000LL);
		goc_case cs[] = { GOC_RECV_CASE(ch, &v), GOC_RECV_CASE(goc_ctx_done(c), NULL) };
		(void)goc_select(cs, 2, GOC_FOREVER, NULL);
		goc_ctx_free(c);
	} else if (!strcmp(mode, "leak")) { /* finishes, leaving a task blocked: a leak */
		(void)goc_go(recv_forever, NULL);
	} else if (!strcmp(mode, "hang")) { /* hangs, not a deadlock: a raw thread never ends; SIGQUIT dumps */
		pthread_t t;
		pthread_create(&t, NULL, raw_forever, NULL);
		(void)goc_go(recv_forever, NULL);
		fprintf(stderr, "deadlock_control: hanging\n");
		pthread_join(t, NULL);
	} else {
		fprintf(stderr, "usage: deadlock_control send|wg|select-no-cases|raw-thread|task-asleep|ctx-deadline|leak|hang\n");
		return 2;
	}
	printf("done %s\n", mode);
	return 0;
}
