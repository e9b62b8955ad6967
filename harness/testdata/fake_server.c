/*
 * fake_server.c - a server target that misbehaves on request, for the
 * harness's end-to-end test of server scenarios: it listens on 127.0.0.1,
 * prints 'listening on http://127.0.0.1:PORT' and answers every request
 * with 200 "ok" over keep-alive, unless --variant says otherwise:
 *   ok           stops on SIGTERM with exit 0
 *   exit-1       exits 1 on SIGTERM
 *   crash        aborts on SIGTERM
 *   hang         ignores SIGTERM
 *   no-line      prints nothing and waits to be killed
 *   status-500   answers every request with 500
 * Requests are read up to their blank line; a body is not expected.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

static const char *const variants[] = { "ok", "exit-1", "crash", "hang", "no-line", "status-500", NULL };
static const char *variant = "ok";

static void on_term(int sig)
{
	(void)sig;
	if (strcmp(variant, "crash") == 0)
		abort();
	_exit(strcmp(variant, "exit-1") == 0 ? 1 : 0);
}

/* One connection: answer each request (headers up to the blank line) until the client closes. */
static void *serve(void *p)
{
	int fd = (int)(intptr_t)p;
	const char *answer = strcmp(variant, "status-500") == 0
		? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nno"
		: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char buf[8192];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		char *end;
		while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			if (write(fd, answer, strlen(answer)) < 0)
				goto out;
			len -= (size_t)(end + 4 - buf);
			memmove(buf, end + 4, len + 1);
		}
		if (len == sizeof buf - 1)
			break; /* a header block this long is not ours to read */
	}
out:
	close(fd);
	return NULL;
}

int main(int argc, char *argv[])
{
	uint64_t port = 0;
	bool log = false;
	probe_opt opts[] = {
		{ .name = "--variant", .metavar = "V", .help = "what to do", .kind = PROBE_OPT_STRING,
		  .s = &variant, .choices = variants },
		{ .name = "--port", .metavar = "N", .help = "port (0 picks a free one)", .kind = PROBE_OPT_UINT,
		  .u = &port, .max = 65535 },
		{ .name = "--log", .help = "a flag, which no knob can set (harness tests)", .kind = PROBE_OPT_FLAG,
		  .b = &log },
	};
	probe_cli cli = { .prog = "fake_server", .summary = "a server that misbehaves on request (harness tests)",
	                  .opts = opts, .nopts = sizeof opts / sizeof *opts };
	probe_parse(&cli, argc, argv);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, strcmp(variant, "hang") == 0 ? SIG_IGN : on_term);
	if (strcmp(variant, "no-line") == 0)
		for (;;)
			pause();
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof a;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 128) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
		perror("fake_server: listen");
		return 1;
	}
	printf("listening on http://127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;
		if (fd >= 0 && pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else if (fd >= 0)
			close(fd);
	}
}
