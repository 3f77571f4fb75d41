/* Kernel command-line words: splitting with quotes and escapes, "key=value" options, and the
 * store of option words that drivers and diagnostics look up after boot. */
#include <kernel/cmdline.h>

#include <kernel/string.h>

char *cmdline_next_word(char **cursor)
{
	char *p = *cursor;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	char *word = p, *out = p;
	int quoted = 0;
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			*out++ = *++p;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n')) {
			p++;
			break;
		} else {
			*out++ = *p;
		}
	}
	/* out never passes p, so terminating here cannot clobber the next word. */
	*cursor = p;
	*out = '\0';
	return word;
}

const char *cmdline_option_value(const char *word, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(word, key, n) != 0 || word[n] != '=')
		return NULL;
	return word + n + 1;
}

char **cmdline_options;
int cmdline_option_count;

int cmdline_option_given(const char *name)
{
	for (int i = 0; i < cmdline_option_count; i++)
		if (strcmp(cmdline_options[i], name) == 0)
			return 1;
	return 0;
}
