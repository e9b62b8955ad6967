/*
 * 12-lock-order, fixed: every transfer locks the two accounts in one global
 * order.
 *
 * transfer() locks the account with the lower id first, whichever way the
 * money goes, so no two threads can each hold the lock the other wants.
 * (Any fixed order works: by id, by address; the point is that it is the
 * same for everyone.) The transfers may now run at the same time.
 *
 * Clean under: ThreadSanitizer, helgrind, ASan+UBSan.
 */
#include <pthread.h>
#include <stdio.h>

struct account { int id; pthread_mutex_t mu; long balance; /* guarded by mu */ };

static struct account alice = { 1, PTHREAD_MUTEX_INITIALIZER, 100 };
static struct account bob = { 2, PTHREAD_MUTEX_INITIALIZER, 100 };

static void transfer(struct account *from, struct account *to, long amount)
{
	struct account *first = from->id < to->id ? from : to; /* lock order: by id */
	struct account *second = first == from ? to : from;
	pthread_mutex_lock(&first->mu);
	pthread_mutex_lock(&second->mu);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->mu);
	pthread_mutex_unlock(&first->mu);
}

static void *alice_pays_bob(void *arg) { (void)arg; transfer(&alice, &bob, 30); return NULL; }
static void *bob_pays_alice(void *arg) { (void)arg; transfer(&bob, &alice, 10); return NULL; }

int main(void)
{
	pthread_t t[2];
	pthread_create(&t[0], NULL, alice_pays_bob, NULL);
	pthread_create(&t[1], NULL, bob_pays_alice, NULL); /* overlapping is safe now */
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	if (alice.balance != 80 || bob.balance != 120) {
		fprintf(stderr, "check failed: alice %ld, bob %ld, want 80 and 120\n", alice.balance, bob.balance);
		return 1;
	}
	printf("alice %ld, bob %ld\n", alice.balance, bob.balance);
	return 0;
}
