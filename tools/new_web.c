/* The server `toro new --web` writes (tools/new.c): examples/webserver-posix's main.c and the
 * HTTP code it shares with examples/webserver (http.c, http.h), built into the tool so that an
 * installed toro has them and a new project serves exactly what the examples do. The assembler
 * includes the files at build time, by their paths from the top of the source tree, where make
 * runs; the Makefile names them as this file's prerequisites. Each ends in a NUL. */
#define NEW_WEB_FILE(name, path)                                                                   \
	__asm__(".section .rodata\n"                                                               \
	        ".global " #name "\n"                                                              \
	        ".type " #name ", @object\n" #name ":\n"                                           \
	        ".incbin \"" path "\"\n"                                                           \
	        ".byte 0\n"                                                                        \
	        ".size " #name ", . - " #name "\n"                                                 \
	        ".previous\n");

NEW_WEB_FILE(new_web_main, "examples/webserver-posix/main.c")
NEW_WEB_FILE(new_web_http_c, "examples/webserver/http.c")
NEW_WEB_FILE(new_web_http_h, "examples/webserver/http.h")
