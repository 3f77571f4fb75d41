/* Native API: everything in one include. */
#ifndef TORO_TORO_H
#define TORO_TORO_H

#include <toro/channel.h>
#include <toro/console.h>
#include <toro/file.h>
#include <toro/memory.h>
#include <toro/socket.h>
#include <toro/system.h>
#include <toro/thread.h>

#endif
