/*
 * 12-lock-order, bad: two transfers lock the same two accounts in opposite
 * orders.
 *
 * The story: transfer(from, to) locks `from`, then `to`. One thread moves
 * money from alice to bob, another from bob to alice. If both take their
 * first lock at the same moment, each waits forever for the other's: a
 * deadlock. Here the two transfers happen not to overlap (the second thread
 * starts after the first is joined), so the program always finishes, as
 * the tests did; the deadlock waits for production. A lock-order checker
 * sees the inversion without needing the unlucky timing.
 *
 * Detector: ThreadSanitizer (lock-order-inversion), every run; also helgrind
 * ("lock order violated").
 */
#include <pthread.h>
#include <stdio.h>

struct account { pthread_mutex_t mu; long balance; /* guarded by mu */ };

static struct account alice = { PTHREAD_MUTEX_INITIALIZER, 100 };
static struct account bob = { PTHREAD_MUTEX_INITIALIZER, 100 };

static void transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->mu); /* BUG: the order depends on the direction */
	pthread_mutex_lock(&to->mu);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->mu);
	pthread_mutex_unlock(&from->mu);
}

static void *alice_pays_bob(void *arg) { (void)arg; transfer(&alice, &bob, 30); return NULL; }
static void *bob_pays_alice(void *arg) { (void)arg; transfer(&bob, &alice, 10); return NULL; }

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, alice_pays_bob, NULL);
	pthread_join(t, NULL); /* the lucky timing: the transfers never overlap */
	pthread_create(&t, NULL, bob_pays_alice, NULL);
	pthread_join(t, NULL);
	printf("alice %ld, bob %ld\n", alice.balance, bob.balance);
	return 0;
}
