/* Prints the reference table of the root settings (config/settings.c) as
 * markdown: the block between the settings markers of
 * docs/configuration.md, which tests/source/settings_doc.sh keeps equal to
 * it. */
#include "config/settings.h"

int main(void) {
        cw_settings_markdown(stdout);
        return 0;
}
