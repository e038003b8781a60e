/* version.h - the Tenor version, shared by the library and the programs. */
#ifndef TN_VERSION_H
#define TN_VERSION_H

#define TN_VERSION "0.1.0"
/* The license of Tenor (LICENSE; README, "License"). */
#define TN_LICENSE "BSD-3-Clause"

#endif
