/*
 * race_exitcheck.c - libgoc_race_exitcheck.so, which `goc race` preloads
 * (LD_PRELOAD) into every program it runs: at exit it lists the threads
 * still running, which ThreadSanitizer does not report (its "thread leak"
 * covers only threads that finished and were never joined).
 *
 * The threads that were there before main (the sanitizer runtime's own)
 * are noted by the constructor and not counted; nor are libgoc's own
 * service threads, which name themselves "goc-..." (idle pooled threads
 * and the timer thread; a task still running at exit is libgoc's leak
 * check's to report). A program that does not exit normally (_exit, a
 * signal) runs no destructor and is checked by nothing here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EARLY 16

static long early[MAX_EARLY]; /* thread ids alive before main */
static int nearly;

/* The thread ids of this process, through fn(tid) for each. */
static void each_thread(void (*fn)(long tid, void *arg), void *arg)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			fn(strtol(e->d_name, NULL, 10), arg);
	closedir(d);
}

static void note_early(long tid, void *arg)
{
	(void)arg;
	if (nearly < MAX_EARLY)
		early[nearly++] = tid;
}

/*
 * Take this library out of LD_PRELOAD, so that the programs this one
 * starts (the sanitizer's symbolizer, say) run without it.
 */
static void unpreload(void)
{
	const char *pre = getenv("LD_PRELOAD");
	if (!pre)
		return;
	char *rest = malloc(strlen(pre) + 1), *copy = strdup(pre);
	if (!rest || !copy) {
		free(rest);
		free(copy);
		return;
	}
	rest[0] = '\0';
	for (char *save = NULL, *item = strtok_r(copy, ": ", &save); item; item = strtok_r(NULL, ": ", &save)) {
		if (strstr(item, "libgoc_race_exitcheck.so"))
			continue;
		if (rest[0])
			strcat(rest, ":");
		strcat(rest, item);
	}
	if (rest[0])
		setenv("LD_PRELOAD", rest, 1);
	else
		unsetenv("LD_PRELOAD");
	free(rest);
	free(copy);
}

__attribute__((constructor)) static void exitcheck_start(void)
{
	each_thread(note_early, NULL);
	unpreload();
}

/* The thread's name (comm), or "" if it is gone. */
static void thread_name(long tid, char *name, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
	name[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, name, size - 1);
	close(fd);
	name[n > 0 ? n : 0] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/*
 * ThreadSanitizer starts a background thread with the program's first
 * thread, after our constructor; it sleeps in the raw nanosleep system
 * call (35 on x86-64), which a program reaches only through
 * clock_nanosleep. A thread seen running is looked at again for a while.
 */
static bool sanitizer_thread(long tid)
{
	char path[64], text[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
	for (int look = 0; look < 50; look++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true; /* gone */
		ssize_t n = read(fd, text, sizeof text - 1);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		if (strncmp(text, "running", 7) != 0)
			return strncmp(text, "35 ", 3) == 0;
		usleep(1000);
	}
	return false;
}

typedef struct late {
	long self;
	int n;
	char list[512];
} late;

static void note_late(long tid, void *arg)
{
	late *l = arg;
	if (tid == l->self)
		return;
	for (int i = 0; i < nearly; i++)
		if (early[i] == tid)
			return;
	char name[32];
	thread_name(tid, name, sizeof name);
	if (name[0] == '\0' || strncmp(name, "goc-", 4) == 0 || sanitizer_thread(tid))
		return; /* gone meanwhile, libgoc's own, or the sanitizer's */
	l->n++;
	size_t used = strlen(l->list);
	snprintf(l->list + used, sizeof l->list - used, "%s%ld '%s'", used ? ", " : "", tid, name);
}

__attribute__((destructor)) static void exitcheck_end(void)
{
	late l = { .self = (long)gettid() };
	each_thread(note_late, &l);
	if (l.n > 0)
		fprintf(stderr, "goc race: %d thread(s) still running at exit (never joined): %s\n", l.n, l.list);
}
