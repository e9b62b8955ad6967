/*
 * reststore.c - the users store in four designs, the strict request parsers,
 * the router and the JSON writer of reststore.h.
 *
 * Every design keeps its users in the same unsynchronized map (umap): an
 * array of (id, record) slots sorted by id. Ids only grow, so a create
 * appends (the sharded store may insert a little before the end, when two
 * creates reach a stripe out of order); a lookup is a binary search; a
 * delete leaves a tombstone, and the array is compacted once tombstones
 * outnumber users. A record is the user's JSON, rendered outside any lock
 * where the id allows it (create renders all but its {"id":N, prefix).
 *
 * Lock order: the sharded store takes its stripes in index order (a list
 * takes them all); no other store holds two locks. The actor store takes no
 * lock: its map belongs to the actor task.
 */
#define _POSIX_C_SOURCE 200809L

#include "reststore.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "goc/chan.h"
#include "goc/panic.h"
#include "goc/status.h"
#include "goc/task.h"
#include "goc/wg.h"

/* ---- buffers and the JSON writer ---- */

/* Make room for n more bytes; false (and nomem) when out of memory. */
static bool buf_reserve(goc_buf *b, size_t n)
{
	if (b->nomem)
		return false;
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->nomem = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->nomem = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void goc_buf_append(goc_buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void goc_buf_free(goc_buf *b)
{
	free(b->data);
	*b = (goc_buf){ 0 };
}

/* Bytes goc_json_append_string() writes for s[0..n). */
static size_t json_string_size(const char *s, size_t n)
{
	size_t out = 2;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
			out += 2;
		else if (c < 0x20)
			out += 6;
		else
			out += 1;
	}
	return out;
}

/* Write s[0..n) as a JSON string at dst (json_string_size() bytes); return the end. */
static char *json_string_put(char *dst, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	*dst++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*dst++ = (char)c;
			continue;
		}
		*dst++ = '\\';
		switch (c) {
		case '"': *dst++ = '"'; break;
		case '\\': *dst++ = '\\'; break;
		case '\b': *dst++ = 'b'; break;
		case '\f': *dst++ = 'f'; break;
		case '\n': *dst++ = 'n'; break;
		case '\r': *dst++ = 'r'; break;
		case '\t': *dst++ = 't'; break;
		default:
			*dst++ = 'u';
			*dst++ = '0';
			*dst++ = '0';
			*dst++ = hex[c >> 4];
			*dst++ = hex[c & 15];
		}
	}
	*dst++ = '"';
	return dst;
}

void goc_json_append_string(goc_buf *b, const char *s, size_t n)
{
	size_t need = json_string_size(s, n);
	if (!buf_reserve(b, need))
		return;
	char *end = json_string_put(b->data + b->len, s, n);
	b->len = (size_t)(end - b->data);
}

/* ---- records and the map ---- */

/* A user: its JSON, immutable once in a map. */
typedef struct record {
	int64_t id;
	size_t len;  /* bytes of json */
	char json[]; /* {"id":N,"name":"...","email":"..."} */
} record;

/* Room for {"id":, 20 digits and the comma. */
#define ID_PREFIX_MAX 32

/*
 * A record with room for its prefix, its tail ("name":"...","email":"..."})
 * already written after the prefix room; *tail_len says how long the tail is.
 */
static record *record_prepare(const char *name, size_t name_len, const char *email,
                              size_t email_len, size_t *tail_len)
{
	size_t tail = sizeof "\"name\":" - 1 + json_string_size(name, name_len) +
	              sizeof ",\"email\":" - 1 + json_string_size(email, email_len) + 1;
	record *r = malloc(sizeof *r + ID_PREFIX_MAX + tail);
	if (!r)
		return NULL;
	char *p = r->json + ID_PREFIX_MAX;
	memcpy(p, "\"name\":", 7);
	p = json_string_put(p + 7, name, name_len);
	memcpy(p, ",\"email\":", 9);
	p = json_string_put(p + 9, email, email_len);
	*p++ = '}';
	*tail_len = tail;
	return r;
}

/* Give a prepared record its id: write the prefix and slide the tail up to it. */
static void record_finish(record *r, int64_t id, size_t tail_len)
{
	char prefix[ID_PREFIX_MAX];
	int n = snprintf(prefix, sizeof prefix, "{\"id\":%" PRId64 ",", id);
	memcpy(r->json, prefix, (size_t)n);
	memmove(r->json + n, r->json + ID_PREFIX_MAX, tail_len);
	r->id = id;
	r->len = (size_t)n + tail_len;
}

typedef struct slot {
	int64_t id;
	record *rec; /* NULL: deleted (a tombstone) */
} slot;

/* The unsynchronized map every design guards in its own way. */
typedef struct umap {
	slot *slots;  /* sorted by id, tombstones included */
	size_t n;     /* slots used */
	size_t cap;   /* slots allocated */
	size_t live;  /* slots whose rec is not NULL */
} umap;

static void umap_destroy(umap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->slots[i].rec);
	free(m->slots);
	*m = (umap){ 0 };
}

/* Index of the slot holding id, or m->n. */
static size_t umap_find(const umap *m, int64_t id)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->slots[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < m->n && m->slots[lo].id == id) ? lo : m->n;
}

/* Make room for one more slot; false when out of memory. */
static bool umap_grow(umap *m)
{
	if (m->n < m->cap)
		return true;
	/* Tombstones outnumber users: drop them instead of growing. */
	if (m->n - m->live > m->live && m->n >= 16) {
		size_t w = 0;
		for (size_t i = 0; i < m->n; i++)
			if (m->slots[i].rec)
				m->slots[w++] = m->slots[i];
		m->n = w;
		return true;
	}
	size_t cap = m->cap ? m->cap * 2 : 16;
	slot *s = realloc(m->slots, cap * sizeof *s);
	if (!s)
		return false;
	m->slots = s;
	m->cap = cap;
	return true;
}

/*
 * Insert r, whose id no slot holds: at the end, or a few slots before it
 * when creates reached this stripe out of id order (the sharded store).
 */
static bool umap_insert(umap *m, record *r)
{
	if (!umap_grow(m))
		return false;
	size_t i = m->n;
	while (i > 0 && m->slots[i - 1].id > r->id)
		i--;
	memmove(&m->slots[i + 1], &m->slots[i], (m->n - i) * sizeof *m->slots);
	m->slots[i] = (slot){ r->id, r };
	m->n++;
	m->live++;
	return true;
}

static const record *umap_get(const umap *m, int64_t id)
{
	size_t i = umap_find(m, id);
	return i < m->n ? m->slots[i].rec : NULL;
}

/* Put r in place of the user with r's id; return the old record (NULL: none, r not taken). */
static record *umap_replace(umap *m, record *r)
{
	size_t i = umap_find(m, r->id);
	if (i == m->n || !m->slots[i].rec)
		return NULL;
	record *old = m->slots[i].rec;
	m->slots[i].rec = r;
	return old;
}

/* Take user id out; return its record (NULL: none). */
static record *umap_remove(umap *m, int64_t id)
{
	size_t i = umap_find(m, id);
	if (i == m->n || !m->slots[i].rec)
		return NULL;
	record *old = m->slots[i].rec;
	m->slots[i].rec = NULL;
	m->live--;
	/* Tombstones at the end cost nothing to drop. */
	while (m->n > 0 && !m->slots[m->n - 1].rec)
		m->n--;
	return old;
}

/* Bytes the users' JSON takes, commas not included. */
static size_t umap_json_bytes(const umap *m)
{
	size_t total = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->slots[i].rec)
			total += m->slots[i].rec->len;
	return total;
}

/* Append m's users to out, each preceded by a comma unless *first. */
static void umap_append_users(const umap *m, goc_buf *out, bool *first)
{
	for (size_t i = 0; i < m->n; i++) {
		const record *r = m->slots[i].rec;
		if (!r)
			continue;
		if (!*first)
			out->data[out->len++] = ',';
		*first = false;
		memcpy(out->data + out->len, r->json, r->len);
		out->len += r->len;
	}
}

static void umap_list(const umap *m, goc_buf *out)
{
	if (!buf_reserve(out, umap_json_bytes(m) + m->live + 2))
		return;
	bool first = true;
	out->data[out->len++] = '[';
	umap_append_users(m, out, &first);
	out->data[out->len++] = ']';
}

/* ---- the store ---- */

/*
 * The actor's mailbox holds pointers to requests on their callers' stacks.
 * The actor writes the answer into the request, then marks it done; the
 * caller waits on `done` and reads the answer (goc_wg_done() happens-before
 * the goc_wg_wait() it releases returns).
 */
typedef enum actor_op { OP_CREATE, OP_GET, OP_UPDATE, OP_DELETE, OP_LIST, OP_LEN } actor_op;

typedef struct actor_req {
	actor_op op;
	int64_t id;           /* GET, UPDATE, DELETE; CREATE's answer */
	record *rec;          /* CREATE, UPDATE: taken by the actor on OK */
	size_t tail_len;      /* CREATE */
	goc_buf *out;         /* CREATE (may be NULL), GET, LIST: the actor appends here */
	size_t len;           /* LEN's answer */
	goc_store_result res; /* the answer */
	goc_wg done;          /* 1 while the actor has the request; it calls goc_wg_done() */
} actor_req;

typedef struct shard {
	pthread_mutex_t mu;
	umap map; /* guarded by mu */
	char pad[64];
} shard;

struct goc_store {
	goc_store_kind kind;
	/* RWLOCK and MUTEX */
	pthread_rwlock_t rw;
	pthread_mutex_t mu;
	umap map;        /* guarded by rw (RWLOCK), mu (MUTEX); the actor's own (ACTOR) */
	int64_t next_id; /* guarded like map: the last id given (RWLOCK, MUTEX, ACTOR) */
	/* SHARDED */
	shard *shards;
	unsigned nshards;
	_Atomic int64_t sharded_last_id; /* the last id given; seq_cst, one add per create */
	/* ACTOR */
	goc_chan *mailbox; /* element: actor_req *; closed by goc_store_free() */
	goc_wg actor_done;
};

const char *const goc_store_kind_names[] = { "rwlock", "mutex", "sharded", "actor", NULL };
_Static_assert(sizeof goc_store_kind_names / sizeof goc_store_kind_names[0] == GOC_STORE_KIND_COUNT + 1,
               "a name for every store kind");

const char *goc_store_kind_name(goc_store_kind kind)
{
	return (unsigned)kind < GOC_STORE_KIND_COUNT ? goc_store_kind_names[kind] : NULL;
}

bool goc_store_kind_parse(const char *name, goc_store_kind *kind)
{
	for (unsigned i = 0; i < GOC_STORE_KIND_COUNT; i++) {
		if (strcmp(name, goc_store_kind_names[i]) == 0) {
			*kind = (goc_store_kind)i;
			return true;
		}
	}
	return false;
}

/*
 * Add r to m, one map of its own ids, under the next id after *next_id (the
 * map's lock held, or in the actor), and append its JSON to out (NULL:
 * none; the caller reserved the room, so this append cannot fail). The id,
 * or 0 when out of memory.
 */
static int64_t map_create(umap *m, int64_t *next_id, record *r, size_t tail_len, goc_buf *out)
{
	record_finish(r, *next_id + 1, tail_len);
	if (!umap_insert(m, r))
		return 0;
	if (out)
		goc_buf_append(out, r->json, r->len);
	return ++*next_id;
}

/* The actor: the only code that touches s->map; it runs until the mailbox closes. */
static void actor_main(void *arg)
{
	goc_store *s = arg;
	actor_req *rq;
	while (goc_chan_recv(s->mailbox, &rq, GOC_FOREVER) == GOC_OK) {
		rq->res = GOC_STORE_OK;
		switch (rq->op) {
		case OP_CREATE:
			rq->id = map_create(&s->map, &s->next_id, rq->rec, rq->tail_len, rq->out);
			if (!rq->id)
				rq->res = GOC_STORE_NOMEM;
			break;
		case OP_GET: {
			const record *r = umap_get(&s->map, rq->id);
			if (!r)
				rq->res = GOC_STORE_NOT_FOUND;
			else
				goc_buf_append(rq->out, r->json, r->len);
			break;
		}
		case OP_UPDATE: {
			record *old = umap_replace(&s->map, rq->rec);
			if (old)
				free(old);
			else
				rq->res = GOC_STORE_NOT_FOUND;
			break;
		}
		case OP_DELETE: {
			record *old = umap_remove(&s->map, rq->id);
			if (old)
				free(old);
			else
				rq->res = GOC_STORE_NOT_FOUND;
			break;
		}
		case OP_LIST:
			umap_list(&s->map, rq->out);
			break;
		case OP_LEN:
			rq->len = s->map.live;
			break;
		}
		/* The last touch of rq: once done, the caller may return and pop it. */
		goc_wg_done(&rq->done);
	}
	goc_wg_done(&s->actor_done);
}

/*
 * Send rq to the actor and wait for its answer. Neither can fail while the
 * store is in use: the mailbox closes only in goc_store_free(), after every
 * call, and nothing bounds the wait; any other status is a broken store.
 */
static goc_store_result actor_call(goc_store *s, actor_req *rq)
{
	goc_wg_init(&rq->done);
	goc_wg_add(&rq->done, 1);
	goc_status st = goc_chan_send(s->mailbox, &rq, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("reststore: send to the actor: %s", goc_status_str(st));
	st = goc_wg_wait(&rq->done, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("reststore: wait for the actor: %s", goc_status_str(st));
	goc_wg_destroy(&rq->done);
	return rq->res;
}

goc_store *goc_store_make(goc_store_kind kind, unsigned shards)
{
	if ((unsigned)kind >= GOC_STORE_KIND_COUNT)
		return NULL;
	goc_store *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->kind = kind;
	switch (kind) {
	case GOC_STORE_RWLOCK:
		GOC_PT(pthread_rwlock_init(&s->rw, NULL));
		break;
	case GOC_STORE_MUTEX:
		GOC_PT(pthread_mutex_init(&s->mu, NULL));
		break;
	case GOC_STORE_SHARDED:
		s->nshards = shards ? shards : 16;
		s->shards = calloc(s->nshards, sizeof *s->shards);
		if (!s->shards) {
			free(s);
			return NULL;
		}
		for (unsigned i = 0; i < s->nshards; i++)
			GOC_PT(pthread_mutex_init(&s->shards[i].mu, NULL));
		atomic_init(&s->sharded_last_id, 0);
		break;
	case GOC_STORE_ACTOR:
		s->mailbox = goc_chan_make(sizeof(actor_req *), 256);
		if (!s->mailbox) {
			free(s);
			return NULL;
		}
		goc_wg_init(&s->actor_done);
		goc_wg_add(&s->actor_done, 1);
		if (goc_go(actor_main, s) != GOC_OK) {
			goc_wg_done(&s->actor_done);
			goc_wg_destroy(&s->actor_done);
			goc_chan_free(s->mailbox);
			free(s);
			return NULL;
		}
		break;
	}
	return s;
}

void goc_store_free(goc_store *s)
{
	if (!s)
		return;
	switch (s->kind) {
	case GOC_STORE_RWLOCK:
		GOC_PT(pthread_rwlock_destroy(&s->rw));
		break;
	case GOC_STORE_MUTEX:
		GOC_PT(pthread_mutex_destroy(&s->mu));
		break;
	case GOC_STORE_SHARDED:
		for (unsigned i = 0; i < s->nshards; i++) {
			umap_destroy(&s->shards[i].map);
			GOC_PT(pthread_mutex_destroy(&s->shards[i].mu));
		}
		free(s->shards);
		break;
	case GOC_STORE_ACTOR:
		goc_chan_close(s->mailbox);
		goc_wg_wait(&s->actor_done, GOC_FOREVER);
		goc_wg_destroy(&s->actor_done);
		goc_chan_free(s->mailbox);
		break;
	}
	umap_destroy(&s->map);
	free(s);
}

static shard *shard_of(goc_store *s, int64_t id)
{
	return &s->shards[(uint64_t)id % s->nshards];
}

/*
 * Lock the map that holds user `id` and return it: the one map of the
 * rwlock store (shared for a read, exclusive for a write) or the mutex
 * store, or id's stripe of the sharded store. Not for the actor store.
 */
static umap *map_lock(goc_store *s, int64_t id, bool write)
{
	switch (s->kind) {
	case GOC_STORE_RWLOCK:
		if (write)
			GOC_PT(pthread_rwlock_wrlock(&s->rw));
		else
			GOC_PT(pthread_rwlock_rdlock(&s->rw));
		return &s->map;
	case GOC_STORE_MUTEX:
		GOC_PT(pthread_mutex_lock(&s->mu));
		return &s->map;
	case GOC_STORE_SHARDED: {
		shard *sh = shard_of(s, id);
		GOC_PT(pthread_mutex_lock(&sh->mu));
		return &sh->map;
	}
	case GOC_STORE_ACTOR:
		break;
	}
	goc_panic("reststore: map_lock on the actor store");
}

/* Undo map_lock(s, id, ...). */
static void map_unlock(goc_store *s, int64_t id)
{
	if (s->kind == GOC_STORE_RWLOCK)
		GOC_PT(pthread_rwlock_unlock(&s->rw));
	else if (s->kind == GOC_STORE_MUTEX)
		GOC_PT(pthread_mutex_unlock(&s->mu));
	else
		GOC_PT(pthread_mutex_unlock(&shard_of(s, id)->mu));
}

/* The sharded store: every stripe, in index order (the lock order). */
static void shards_lock_all(goc_store *s)
{
	for (unsigned i = 0; i < s->nshards; i++)
		GOC_PT(pthread_mutex_lock(&s->shards[i].mu));
}

static void shards_unlock_all(goc_store *s)
{
	for (unsigned i = s->nshards; i-- > 0;)
		GOC_PT(pthread_mutex_unlock(&s->shards[i].mu));
}

goc_store_result goc_store_create(goc_store *s, const char *name, size_t name_len,
                                  const char *email, size_t email_len, goc_buf *out, int64_t *id)
{
	size_t tail_len;
	record *r = record_prepare(name, name_len, email, email_len, &tail_len);
	if (!r)
		return GOC_STORE_NOMEM;
	/*
	 * Reserve the answer's room first: once the user is in, the answer
	 * cannot fail. It is copied from r while the store cannot yet hand r to
	 * another caller (under the lock, or by the actor), who may replace or
	 * delete it at once.
	 */
	if (out && !buf_reserve(out, ID_PREFIX_MAX + tail_len)) {
		free(r);
		return GOC_STORE_NOMEM;
	}
	goc_store_result res = GOC_STORE_OK;
	int64_t got = 0;
	if (s->kind == GOC_STORE_ACTOR) {
		actor_req rq = { .op = OP_CREATE, .rec = r, .tail_len = tail_len, .out = out };
		res = actor_call(s, &rq);
		got = rq.id;
	} else if (s->kind == GOC_STORE_SHARDED) {
		/* The id is drawn first, and spent even if the insert fails: ids are never reused. */
		got = atomic_fetch_add(&s->sharded_last_id, 1) + 1;
		record_finish(r, got, tail_len);
		umap *m = map_lock(s, got, true);
		if (!umap_insert(m, r))
			res = GOC_STORE_NOMEM;
		else if (out)
			goc_buf_append(out, r->json, r->len);
		map_unlock(s, got);
	} else {
		got = map_create(map_lock(s, 0, true), &s->next_id, r, tail_len, out);
		map_unlock(s, 0);
		if (!got)
			res = GOC_STORE_NOMEM;
	}
	if (res != GOC_STORE_OK) {
		free(r);
		return res;
	}
	if (id)
		*id = got;
	return GOC_STORE_OK;
}

goc_store_result goc_store_get(goc_store *s, int64_t id, goc_buf *out)
{
	goc_store_result res = GOC_STORE_OK;
	if (s->kind == GOC_STORE_ACTOR) {
		actor_req rq = { .op = OP_GET, .id = id, .out = out };
		res = actor_call(s, &rq);
	} else {
		const umap *m = map_lock(s, id, false);
		const record *r = umap_get(m, id);
		if (r)
			goc_buf_append(out, r->json, r->len);
		else
			res = GOC_STORE_NOT_FOUND;
		map_unlock(s, id);
	}
	if (res == GOC_STORE_OK && out->nomem)
		res = GOC_STORE_NOMEM;
	return res;
}

goc_store_result goc_store_update(goc_store *s, int64_t id, const char *name, size_t name_len,
                                  const char *email, size_t email_len, goc_buf *out)
{
	size_t tail_len;
	record *r = record_prepare(name, name_len, email, email_len, &tail_len);
	if (!r)
		return GOC_STORE_NOMEM;
	record_finish(r, id, tail_len);
	if (out && !buf_reserve(out, r->len)) {
		free(r);
		return GOC_STORE_NOMEM;
	}
	/* Copy the answer now: once r is in the store another caller may free it. */
	size_t out_len = out ? out->len : 0;
	if (out)
		goc_buf_append(out, r->json, r->len);
	record *old = NULL;
	goc_store_result res = GOC_STORE_OK;
	if (s->kind == GOC_STORE_ACTOR) {
		actor_req rq = { .op = OP_UPDATE, .rec = r };
		res = actor_call(s, &rq);
		if (res == GOC_STORE_OK)
			return res; /* the actor freed the old record */
	} else {
		umap *m = map_lock(s, id, true);
		old = umap_replace(m, r);
		map_unlock(s, id);
	}
	if (res == GOC_STORE_OK && !old)
		res = GOC_STORE_NOT_FOUND;
	if (res != GOC_STORE_OK) {
		free(r);
		if (out)
			out->len = out_len;
		return res;
	}
	free(old);
	return res;
}

goc_store_result goc_store_delete(goc_store *s, int64_t id)
{
	if (s->kind == GOC_STORE_ACTOR) {
		actor_req rq = { .op = OP_DELETE, .id = id };
		return actor_call(s, &rq);
	}
	umap *m = map_lock(s, id, true);
	record *old = umap_remove(m, id);
	map_unlock(s, id);
	if (!old)
		return GOC_STORE_NOT_FOUND;
	free(old);
	return GOC_STORE_OK;
}

/* The sharded list: every stripe held (in index order), merged by id. */
static void sharded_list(goc_store *s, goc_buf *out)
{
	shards_lock_all(s);
	size_t bytes = 2, live = 0;
	for (unsigned i = 0; i < s->nshards; i++) {
		bytes += umap_json_bytes(&s->shards[i].map);
		live += s->shards[i].map.live;
	}
	size_t *pos = calloc(s->nshards, sizeof *pos);
	if (pos && buf_reserve(out, bytes + live)) {
		out->data[out->len++] = '[';
		bool first = true;
		int64_t last = 0;
		for (;;) {
			/*
			 * The stripe whose next user has the smallest id. Ids go round
			 * the stripes, so that is most often the next id's stripe: try
			 * it first, and look at every head only when it is not there.
			 */
			unsigned best = s->nshards;
			int64_t best_id = 0;
			unsigned guess = (unsigned)((uint64_t)(last + 1) % s->nshards);
			const umap *gm = &s->shards[guess].map;
			while (pos[guess] < gm->n && !gm->slots[pos[guess]].rec)
				pos[guess]++;
			bool hit = pos[guess] < gm->n && gm->slots[pos[guess]].id == last + 1;
			if (hit)
				best = guess, best_id = last + 1;
			for (unsigned i = 0; !hit && i < s->nshards; i++) {
				const umap *m = &s->shards[i].map;
				while (pos[i] < m->n && !m->slots[pos[i]].rec)
					pos[i]++;
				if (pos[i] < m->n && (best == s->nshards || m->slots[pos[i]].id < best_id)) {
					best = i;
					best_id = m->slots[pos[i]].id;
				}
			}
			if (best == s->nshards)
				break;
			const record *r = s->shards[best].map.slots[pos[best]++].rec;
			last = best_id;
			if (!first)
				out->data[out->len++] = ',';
			first = false;
			memcpy(out->data + out->len, r->json, r->len);
			out->len += r->len;
		}
		out->data[out->len++] = ']';
	} else {
		out->nomem = true;
	}
	shards_unlock_all(s);
	free(pos);
}

goc_store_result goc_store_list(goc_store *s, goc_buf *out)
{
	switch (s->kind) {
	case GOC_STORE_RWLOCK:
	case GOC_STORE_MUTEX: {
		const umap *m = map_lock(s, 0, false);
		umap_list(m, out);
		map_unlock(s, 0);
		break;
	}
	case GOC_STORE_SHARDED:
		sharded_list(s, out);
		break;
	case GOC_STORE_ACTOR: {
		actor_req rq = { .op = OP_LIST, .out = out };
		goc_store_result res = actor_call(s, &rq);
		if (res != GOC_STORE_OK)
			return res;
		break;
	}
	}
	return out->nomem ? GOC_STORE_NOMEM : GOC_STORE_OK;
}

size_t goc_store_len(goc_store *s)
{
	size_t n = 0;
	switch (s->kind) {
	case GOC_STORE_RWLOCK:
	case GOC_STORE_MUTEX:
		n = map_lock(s, 0, false)->live;
		map_unlock(s, 0);
		break;
	case GOC_STORE_SHARDED:
		shards_lock_all(s);
		for (unsigned i = 0; i < s->nshards; i++)
			n += s->shards[i].map.live;
		shards_unlock_all(s);
		break;
	case GOC_STORE_ACTOR: {
		actor_req rq = { .op = OP_LEN };
		actor_call(s, &rq); /* OP_LEN cannot fail */
		n = rq.len;
		break;
	}
	}
	return n;
}

/* ---- parsers ---- */

bool goc_rest_parse_id(const char *s, size_t n, int64_t *id)
{
	if (n == 0)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*id = v;
	return true;
}

/*
 * Deeper than GOC_REST_MAX_DEPTH? Counts brackets outside strings; exact for
 * valid JSON, and for invalid JSON either answer is "invalid JSON".
 */
static bool too_deep(const char *p, size_t n)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > GOC_REST_MAX_DEPTH)
				return true;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return false;
}

/* A non-empty string member, or NULL. */
static json_t *string_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	return v;
}

goc_body_result goc_rest_parse_body(const char *body, size_t len, goc_user_body *out)
{
	*out = (goc_user_body){ 0 };
	if (too_deep(body, len))
		return GOC_BODY_INVALID_JSON;
	json_error_t err;
	/*
	 * No JSON_DECODE_ANY: the top level must be an object or array. No
	 * JSON_DISABLE_EOF_CHECK: anything but white space after it fails. No
	 * JSON_ALLOW_NUL: \u0000 fails. jansson checks UTF-8 (and surrogates).
	 * JSON_DECODE_INT_AS_REAL: an integer beyond int64 in a member we
	 * ignore (a client's "id", say) is still valid JSON, not an error.
	 */
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	if (!doc) {
		return json_error_code(&err) == json_error_out_of_memory ? GOC_BODY_NOMEM
		                                                        : GOC_BODY_INVALID_JSON;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return GOC_BODY_INVALID_JSON;
	}
	json_t *name = string_member(doc, "name");
	json_t *email = string_member(doc, "email");
	if (!name || !email) {
		json_decref(doc);
		return GOC_BODY_MISSING_FIELDS;
	}
	out->name = json_string_value(name);
	out->name_len = json_string_length(name);
	out->email = json_string_value(email);
	out->email_len = json_string_length(email);
	out->owner = doc;
	return GOC_BODY_OK;
}

void goc_user_body_free(goc_user_body *b)
{
	json_decref(b->owner);
	*b = (goc_user_body){ 0 };
}

/* ---- the router ---- */

void goc_rest_error(goc_rest_response *resp, unsigned status, const char *msg)
{
	resp->status = status;
	resp->body.len = 0;
	resp->body.nomem = false;
	goc_buf_append(&resp->body, "{\"error\":\"", 10);
	goc_buf_append(&resp->body, msg, strlen(msg));
	goc_buf_append(&resp->body, "\"}", 2);
	if (resp->body.nomem)
		resp->status = 500, resp->body.len = 0;
}

static void store_failed(goc_rest_response *resp, goc_store_result res)
{
	if (res == GOC_STORE_NOT_FOUND)
		goc_rest_error(resp, 404, "user not found");
	else
		goc_rest_error(resp, 500, "out of memory");
}

static void body_failed(goc_rest_response *resp, goc_body_result res)
{
	if (res == GOC_BODY_MISSING_FIELDS)
		goc_rest_error(resp, 400, "name and email required");
	else if (res == GOC_BODY_NOMEM)
		goc_rest_error(resp, 500, "out of memory");
	else
		goc_rest_error(resp, 400, "invalid JSON");
}

static void method_not_allowed(goc_rest_response *resp, const char *allow)
{
	goc_rest_error(resp, 405, "method not allowed");
	resp->allow = allow;
}

static bool is(const char *method, const char *want)
{
	return strcmp(method, want) == 0;
}

static void handle_users(goc_store *s, const goc_rest_request *req, goc_rest_response *resp)
{
	if (is(req->method, "GET") || is(req->method, "HEAD")) {
		goc_store_result res = goc_store_list(s, &resp->body);
		if (res != GOC_STORE_OK)
			return store_failed(resp, res);
		resp->status = 200;
		return;
	}
	if (!is(req->method, "POST"))
		return method_not_allowed(resp, "GET, HEAD, POST");
	goc_user_body ub;
	goc_body_result br = goc_rest_parse_body(req->body ? req->body : "", req->body_len, &ub);
	if (br != GOC_BODY_OK)
		return body_failed(resp, br);
	goc_store_result res =
	    goc_store_create(s, ub.name, ub.name_len, ub.email, ub.email_len, &resp->body, NULL);
	goc_user_body_free(&ub);
	if (res != GOC_STORE_OK)
		return store_failed(resp, res);
	resp->status = 201;
}

static void handle_user(goc_store *s, const goc_rest_request *req, const char *seg,
                        goc_rest_response *resp)
{
	bool get = is(req->method, "GET") || is(req->method, "HEAD");
	bool put = is(req->method, "PUT");
	bool del = is(req->method, "DELETE");
	if (!get && !put && !del)
		return method_not_allowed(resp, "GET, HEAD, PUT, DELETE");
	int64_t id;
	if (!goc_rest_parse_id(seg, strlen(seg), &id))
		return goc_rest_error(resp, 400, "invalid user ID");
	goc_store_result res;
	if (get) {
		res = goc_store_get(s, id, &resp->body);
		if (res != GOC_STORE_OK)
			return store_failed(resp, res);
		resp->status = 200;
	} else if (del) {
		res = goc_store_delete(s, id);
		if (res != GOC_STORE_OK)
			return store_failed(resp, res);
		resp->status = 204;
	} else {
		goc_user_body ub;
		goc_body_result br =
		    goc_rest_parse_body(req->body ? req->body : "", req->body_len, &ub);
		if (br != GOC_BODY_OK)
			return body_failed(resp, br);
		res = goc_store_update(s, id, ub.name, ub.name_len, ub.email, ub.email_len,
		                       &resp->body);
		goc_user_body_free(&ub);
		if (res != GOC_STORE_OK)
			return store_failed(resp, res);
		resp->status = 200;
	}
}

void goc_rest_handle(goc_store *s, const goc_rest_request *req, goc_rest_response *resp)
{
	resp->status = 500;
	resp->allow = NULL;
	resp->body.len = 0;
	resp->body.nomem = false;
	const char *path = req->path;
	if (strcmp(path, "/users") == 0)
		return handle_users(s, req, resp);
	if (strncmp(path, "/users/", 7) == 0 && !strchr(path + 7, '/'))
		return handle_user(s, req, path + 7, resp);
	if (strcmp(path, "/health") == 0) {
		if (!is(req->method, "GET") && !is(req->method, "HEAD"))
			return method_not_allowed(resp, "GET, HEAD");
		char line[64];
		int n = snprintf(line, sizeof line, "{\"status\":\"ok\",\"users\":%zu}",
		                 goc_store_len(s));
		goc_buf_append(&resp->body, line, (size_t)n);
		resp->status = resp->body.nomem ? 500 : 200;
		return;
	}
	goc_rest_error(resp, 404, "not found");
}
