#define _DEFAULT_SOURCE
/* Two threads increment one counter without a lock: a data race. */
#include <pthread.h>
#include <stdio.h>

static long counter;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		counter++;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, bump, NULL);
	pthread_create(&b, NULL, bump, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("%ld\n", counter);
	return 0;
}
