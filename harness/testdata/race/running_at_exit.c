#define _DEFAULT_SOURCE
/* main returns while a thread it started still runs (never joined). */
#include <pthread.h>
#include <unistd.h>

static void *forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, forever, NULL);
	usleep(1000);
	return 0;
}
