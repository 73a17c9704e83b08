/* SPDX-License-Identifier: Apache-2.0 */
/* redis_server - a real redis-server for a unit suite: started on a free loopback port
 * with nothing saved, stopped at the end. */
#ifndef EW_TEST_REDIS_SERVER_H
#define EW_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct redis_server {
	pid_t pid;
	int port;
	char addr[32];   /* "127.0.0.1:PORT" */
};

static int redis_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* 0, or -1 when redis-server is missing or does not answer PING within 5 s. */
static int redis_server_start(struct redis_server *r)
{
	char port[16];

	r->port = redis_free_port();
	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(r->addr, sizeof(r->addr), "127.0.0.1:%d", r->port);
	r->pid = fork();
	if (r->pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		       "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		struct timeval tv = { 0, 100000 };
		redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
		redisReply *rep = c && !c->err ? redisCommand(c, "PING") : NULL;
		int up = rep != NULL;

		if (rep)
			freeReplyObject(rep);
		if (c)
			redisFree(c);
		if (up)
			return 0;
		usleep(10000);
	}
	return -1;
}

static void redis_server_stop(struct redis_server *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
}

#endif
