/*
 * banned.h - functions that are too easy to misuse, made compile errors.
 * Included last by internal.h, so library code cannot call them. Use
 * bw_buf_printf / snprintf, bw_parse_u64, memcpy with checked lengths, and
 * gmtime_r / localtime_r instead.
 */
#ifndef BW_BANNED_H
#define BW_BANNED_H

#define BW_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BW_BANNED(strcpy)
#undef strcat
#define strcat(x, y) BW_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BW_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BW_BANNED(strncat)
#undef sprintf
#define sprintf(...) BW_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BW_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BW_BANNED(strtok)
#undef gets
#define gets(x) BW_BANNED(gets)
#undef atoi
#define atoi(x) BW_BANNED(atoi)
#undef atol
#define atol(x) BW_BANNED(atol)
#undef gmtime
#define gmtime(t) BW_BANNED(gmtime)
#undef localtime
#define localtime(t) BW_BANNED(localtime)

#endif
