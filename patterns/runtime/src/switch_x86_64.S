/*
 * switch_x86_64.S - the M:N scheduler's context switch (sched.c), x86-64
 * System V. A context is a stack pointer; its stack holds, from the top of
 * what goc__ctx_switch() pushes: the return address, rbp, rbx, r12 to r15,
 * and 8 bytes of MXCSR (SSE) and x87 control words, which the ABI makes
 * callee-saved too. Every other register is caller-saved, so a switch
 * costs a dozen instructions and no system call.
 */
#if defined(__x86_64__) && defined(__linux__)
	.text

/* void goc__ctx_switch(void **save_sp, void *to_sp): save this context in *save_sp, resume to_sp. */
	.globl goc__ctx_switch
	.hidden goc__ctx_switch
	.type goc__ctx_switch, @function
	.p2align 4
goc__ctx_switch:
	.cfi_startproc
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.cfi_endproc
	.size goc__ctx_switch, .-goc__ctx_switch

/*
 * The first return of a new context lands here (sched.c lays out its
 * stack): r12 holds the argument and r13 the function, which never
 * returns. rsp is 16-byte aligned, as a call requires.
 */
	.globl goc__ctx_start
	.hidden goc__ctx_start
	.type goc__ctx_start, @function
	.p2align 4
goc__ctx_start:
	.cfi_startproc
	.cfi_undefined rip
	movq %r12, %rdi
	callq *%r13
	ud2
	.cfi_endproc
	.size goc__ctx_start, .-goc__ctx_start
#endif

	.section .note.GNU-stack,"",@progbits
