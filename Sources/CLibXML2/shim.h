// Shim over the system libxml2 (pkg-config libxml-2.0) for the HL7XML target.
//
// Only the streaming reader (xmlreader.h) is exposed. Two things Swift 6 cannot use directly
// are wrapped here:
//  * `xmlFree` is a global mutable function pointer, which strict concurrency rejects:
//    `switchboard_xml_free` calls it.
//  * The deny-all external entity loader: `switchboard_xml_install_deny_loader` installs a
//    loader that refuses every external entity, DTD and stylesheet (file://, http://, ...).
#ifndef SWITCHBOARD_CLIBXML2_SHIM_H
#define SWITCHBOARD_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU, so encoding.h would include the system <unicode/ucnv.h>;
// a Swift module importing Foundation (whose _FoundationICU carries its own copy of those
// headers) and this module then fails to build with "'UErrorCode' has different definitions in
// different modules". Nothing here uses the ICU parts (only xmlCharEncodingHandler, which
// Switchboard never touches, changes shape), so they are left out.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>

/// Frees memory libxml2 allocated (strings from xmlTextReaderGetAttribute and friends).
static inline void switchboard_xml_free(void *p) {
    if (p != NULL) xmlFree(p);
}

/// An external entity loader that loads nothing: every SYSTEM/PUBLIC identifier is refused.
static inline xmlParserInputPtr switchboard_xml_deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)url; (void)id; (void)ctxt;
    return NULL;
}

/// Installs the deny-all loader (process-global) and initialises the parser. Call once.
static inline void switchboard_xml_install_deny_loader(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(switchboard_xml_deny_loader);
}

/// The parser options Switchboard uses: no network, no error printing. Never NOENT (it enables
/// XXE), DTDLOAD, DTDVALID or HUGE (it disables the entity-amplification guard). On libxml2
/// >= 2.13 NO_XXE is added as a second line of defence.
static inline int switchboard_xml_parse_options(void) {
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
#if LIBXML_VERSION >= 21300
    options |= XML_PARSE_NO_XXE;
#endif
    return options;
}

/// The libxml2 version this module was compiled against (e.g. 20914).
static inline int switchboard_xml_version(void) {
    return LIBXML_VERSION;
}

#endif
