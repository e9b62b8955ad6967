#define _DEFAULT_SOURCE
/* A thread finishes but is never joined or detached: TSan's thread leak. */
#include <pthread.h>
#include <unistd.h>

static void *quick(void *arg)
{
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, quick, NULL);
	usleep(20000);
	return 0;
}
