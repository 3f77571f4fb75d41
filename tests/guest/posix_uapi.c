/* POSIX programs may include the Linux UAPI headers musl does not ship, e.g. for AF_VSOCK. */
// BUILD:
// CASE: vm-sockets | | 0 | ^sockaddr_vm: 16 bytes, family 40, any cid 4294967295$
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <sys/socket.h>

int main(void)
{
	struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY};
	printf("sockaddr_vm: %zu bytes, family %d, any cid %u\n", sizeof(addr), addr.svm_family,
	       addr.svm_cid);
	return 0;
}
