package org.opendsi.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.ValidatorHandler;

import org.opendsi.api.policy.PolicyError;
import org.opendsi.api.policy.PolicyException;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * Parses and validates DSP files (namespace {@value #NAMESPACE}) into a {@link PolicyModel}.
 *
 * <p>Hardened for untrusted input: the input must be UTF-8 and at most {@link DspLimits#maxBytes()}
 * bytes; a DOCTYPE is an error (so no entity can be declared, expanded or fetched); external
 * entities, external DTDs and external schemas are disabled; element depth, attribute count and
 * element count are bounded. The document is validated against {@code dsp-1.xsd} while it is
 * read, then checked semantically (ranges, references, duplicates). Every problem is reported as a
 * {@link PolicyError} naming file, line and column; all errors are collected (up to
 * {@link DspLimits#maxErrors()}) and thrown together in one {@link PolicyException}, which is the
 * only exception this class throws for bad input.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class DspParser {

    public static final String NAMESPACE = "urn:opendsi:dsp:1";
    public static final String SCHEMA_RESOURCE = "/org/opendsi/policy/dsp-1.xsd";

    private static final Pattern ENCODING_DECL = Pattern.compile(
            "\\A\\s*<\\?xml[^>]*?encoding\\s*=\\s*[\"']([^\"']*)[\"']");

    private static volatile Schema schema;

    private final DspLimits limits;

    public DspParser() {
        this(DspLimits.defaults());
    }

    public DspParser(DspLimits limits) {
        this.limits = limits;
    }

    public DspLimits limits() {
        return limits;
    }

    /** The compiled DSP schema (loaded once, thread-safe). */
    public static Schema schema() {
        Schema s = schema;
        if (s == null) {
            synchronized (DspParser.class) {
                s = schema;
                if (s == null) {
                    schema = s = loadSchema();
                }
            }
        }
        return s;
    }

    private static Schema loadSchema() {
        URL url = DspParser.class.getResource(SCHEMA_RESOURCE);
        if (url == null) {
            throw new IllegalStateException("missing " + SCHEMA_RESOURCE);
        }
        try (InputStream in = url.openStream()) {
            SchemaFactory sf = SchemaFactory.newDefaultInstance();
            sf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            sf.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            sf.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return sf.newSchema(new StreamSource(in, url.toExternalForm()));
        } catch (IOException | SAXException e) {
            throw new IllegalStateException("cannot load " + SCHEMA_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a file with the size bound applied before reading its content.
     *
     * @throws PolicyException when it cannot be read or is too large
     */
    public byte[] read(Path file) throws PolicyException {
        String name = file.toString();
        try {
            long size = Files.size(file);
            if (size > limits.maxBytes()) {
                throw new PolicyException(List.of(new PolicyError(name, 1, 1, "file is " + size
                        + " bytes; the limit is " + limits.maxBytes() + " bytes (max.size.bytes)")));
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] data = in.readNBytes((int) limits.maxBytes() + 1);
                return data;
            }
        } catch (IOException e) {
            throw new PolicyException(name, "cannot read: " + e);
        }
    }

    /** Reads, parses and validates a DSP file. */
    public PolicyModel parse(Path file) throws PolicyException {
        return parse(file.toString(), read(file));
    }

    /**
     * Parses and validates DSP bytes; fileName is only used in error messages.
     *
     * @throws PolicyException carrying every located error found
     */
    public PolicyModel parse(String fileName, byte[] xml) throws PolicyException {
        Errors errors = new Errors(fileName, limits.maxErrors());
        try {
            String text = decode(fileName, xml);
            RawDocument raw = readXml(fileName, text, errors);
            if (!errors.fatal) {
                PolicyModel model = new ModelBuilder(fileName, raw, errors).build();
                if (errors.list.isEmpty()) {
                    return model;
                }
            }
        } catch (PolicyException e) {
            throw e;
        } catch (TooManyErrors e) {
            // fall through: the collected errors are reported
        } catch (RuntimeException | StackOverflowError e) {
            errors.add(errors.lastLine, errors.lastColumn, "internal error while reading the policy: " + e);
        }
        List<PolicyError> out = new ArrayList<>(errors.list);
        out.sort(Comparator.comparingInt(PolicyError::line).thenComparingInt(PolicyError::column));
        if (out.isEmpty()) {
            out.add(new PolicyError(fileName, 1, 1, "policy rejected"));
        }
        throw new PolicyException(out);
    }

    // ---------------------------------------------------------------- bytes -> text

    private String decode(String fileName, byte[] xml) throws PolicyException {
        if (xml.length > limits.maxBytes()) {
            int[] lc = lineColumn(xml, (int) limits.maxBytes());
            throw new PolicyException(List.of(new PolicyError(fileName, lc[0], lc[1], "input exceeds the limit of "
                    + limits.maxBytes() + " bytes (max.size.bytes) here")));
        }
        int start = xml.length >= 3 && (xml[0] & 255) == 0xEF && (xml[1] & 255) == 0xBB && (xml[2] & 255) == 0xBF ? 3 : 0;
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(xml, start, xml.length - start);
        CharBuffer out = CharBuffer.allocate(xml.length);
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            int[] lc = lineColumn(xml, in.position());
            throw new PolicyException(List.of(new PolicyError(fileName, lc[0], lc[1],
                    "invalid UTF-8 byte sequence (DSP files must be UTF-8)")));
        }
        out.flip();
        String text = out.toString();
        Matcher m = ENCODING_DECL.matcher(text.length() > 200 ? text.substring(0, 200) : text);
        if (m.find() && !m.group(1).equalsIgnoreCase("UTF-8") && !m.group(1).equalsIgnoreCase("UTF8")) {
            int[] lc = lineColumn(xml, start + m.start(1));
            throw new PolicyException(List.of(new PolicyError(fileName, lc[0], lc[1], "encoding '" + m.group(1)
                    + "' is not supported; expected UTF-8")));
        }
        return text;
    }

    /** 1-based line and column of a byte offset (columns count bytes). */
    static int[] lineColumn(byte[] data, int offset) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < offset && i < data.length; i++) {
            if (data[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {line, col};
    }

    // ---------------------------------------------------------------- text -> raw elements (SAX + XSD)

    /** One element as read: namespace-local name, its parent's local name, attributes, position. */
    record RawElement(String name, String parent, String[] attrNames, String[] attrValues, PolicyModel.Loc loc) {
        String attr(String n) {
            for (int i = 0; i < attrNames.length; i++) {
                if (attrNames[i].equals(n)) {
                    return attrValues[i];
                }
            }
            return null;
        }
    }

    record RawDocument(List<RawElement> elements) {
    }

    private static final class TooManyErrors extends RuntimeException {
        TooManyErrors() {
            super(null, null, false, false);
        }
    }

    /** Collects located errors; an ErrorHandler for the parser and the validator. */
    static final class Errors implements ErrorHandler {
        final String file;
        final int max;
        final List<PolicyError> list = new ArrayList<>();
        boolean fatal;
        int lastLine = 1;
        int lastColumn = 1;
        SAXParseException lastFatal;

        Errors(String file, int max) {
            this.file = file;
            this.max = max;
        }

        void add(int line, int column, String message) {
            if (list.size() >= max) {
                list.add(new PolicyError(file, Math.max(1, line), Math.max(1, column), "too many errors (limit "
                        + max + "), giving up"));
                throw new TooManyErrors();
            }
            list.add(new PolicyError(file, Math.max(1, line), Math.max(1, column), message));
        }

        void add(PolicyModel.Loc loc, String message) {
            add(loc.line(), loc.column(), message);
        }

        @Override
        public void warning(SAXParseException e) {
            // schema warnings are not policy errors
        }

        @Override
        public void error(SAXParseException e) {
            add(e.getLineNumber(), e.getColumnNumber(), clean(e.getMessage()));
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            fatal = true;
            lastFatal = e;
            add(e.getLineNumber(), e.getColumnNumber(), clean(e.getMessage()));
            throw e;
        }

        static String clean(String m) {
            if (m == null) {
                return "malformed XML";
            }
            if (m.contains("DOCTYPE is disallowed")) {
                return "DOCTYPE is not allowed in a DSP (no DTDs, no entity declarations)";
            }
            return m;
        }
    }

    private RawDocument readXml(String fileName, String text, Errors errors) {
        List<RawElement> elements = new ArrayList<>();
        LimitingHandler limiter = new LimitingHandler(limits, errors);
        try {
            SAXParserFactory f = SAXParserFactory.newDefaultInstance();
            f.setNamespaceAware(true);
            f.setValidating(false);
            f.setXIncludeAware(false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            XMLReader reader = f.newSAXParser().getXMLReader();
            reader.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            reader.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            reader.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not allowed (" + systemId + ")");
            });
            ValidatorHandler vh = schema().newValidatorHandler();
            try {
                vh.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
                vh.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            } catch (SAXException ignored) {
                // the fixed Schema never loads other grammars anyway
            }
            vh.setErrorHandler(errors);
            vh.setResourceResolver((type, ns, publicId, systemId, base) -> null);
            vh.setContentHandler(new Collector(elements, limiter));
            limiter.next = vh;
            reader.setContentHandler(limiter);
            reader.setErrorHandler(errors);
            InputSource src = new InputSource(new StringReader(text));
            src.setSystemId(fileName);
            reader.parse(src);
        } catch (SAXParseException e) {
            if (e != errors.lastFatal) {
                errors.fatal = true;
                errors.add(e.getLineNumber(), e.getColumnNumber(), Errors.clean(e.getMessage()));
            }
        } catch (SAXException | IOException e) {
            errors.fatal = true;
            errors.add(limiter.line(), limiter.column(), e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser cannot be hardened: " + e.getMessage(), e);
        } catch (TooManyErrors e) {
            errors.fatal = true;
        }
        return new RawDocument(elements);
    }

    /** First handler: enforces depth/attribute/element limits, then forwards to the validator. */
    private static final class LimitingHandler implements ContentHandler {
        final DspLimits limits;
        final Errors errors;
        ContentHandler next;
        Locator locator;
        int depth;
        int count;

        LimitingHandler(DspLimits limits, Errors errors) {
            this.limits = limits;
            this.errors = errors;
        }

        int line() {
            return locator == null ? 1 : Math.max(1, locator.getLineNumber());
        }

        int column() {
            return locator == null ? 1 : Math.max(1, locator.getColumnNumber());
        }

        private SAXParseException limit(String message) {
            SAXParseException e = new SAXParseException(message, locator);
            errors.fatal = true;
            errors.lastFatal = e;
            errors.add(line(), column(), message);
            return e;
        }

        @Override
        public void setDocumentLocator(Locator l) {
            locator = l;
            next.setDocumentLocator(l);
        }

        @Override
        public void startDocument() throws SAXException {
            next.startDocument();
        }

        @Override
        public void endDocument() throws SAXException {
            next.endDocument();
        }

        @Override
        public void startPrefixMapping(String prefix, String uri) throws SAXException {
            next.startPrefixMapping(prefix, uri);
        }

        @Override
        public void endPrefixMapping(String prefix) throws SAXException {
            next.endPrefixMapping(prefix);
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes atts) throws SAXException {
            errors.lastLine = line();
            errors.lastColumn = column();
            if (++depth > limits.maxDepth()) {
                throw limit("element nesting deeper than " + limits.maxDepth() + " levels");
            }
            if (++count > limits.maxElements()) {
                throw limit("more than " + limits.maxElements() + " elements");
            }
            if (atts.getLength() > limits.maxAttributes()) {
                throw limit("element <" + qName + "> has " + atts.getLength() + " attributes; at most "
                        + limits.maxAttributes() + " are allowed");
            }
            next.startElement(uri, localName, qName, atts);
        }

        @Override
        public void endElement(String uri, String localName, String qName) throws SAXException {
            depth--;
            next.endElement(uri, localName, qName);
        }

        @Override
        public void characters(char[] ch, int start, int length) throws SAXException {
            next.characters(ch, start, length);
        }

        @Override
        public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
            next.ignorableWhitespace(ch, start, length);
        }

        @Override
        public void processingInstruction(String target, String data) throws SAXException {
            next.processingInstruction(target, data);
        }

        @Override
        public void skippedEntity(String name) throws SAXException {
            throw limit("entity reference &" + name + "; is not allowed");
        }
    }

    /** Last handler: records the DSP elements with their positions. */
    private static final class Collector extends org.xml.sax.helpers.DefaultHandler {
        private static final String[] NONE = new String[0];
        final List<RawElement> out;
        final LimitingHandler pos;
        final ArrayList<String> stack = new ArrayList<>();

        Collector(List<RawElement> out, LimitingHandler pos) {
            this.out = out;
            this.pos = pos;
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes atts) {
            String parent = stack.isEmpty() ? "" : stack.get(stack.size() - 1);
            boolean ours = NAMESPACE.equals(uri);
            stack.add(ours ? localName : "{" + uri + "}" + localName);
            if (!ours) {
                return; // the schema has reported it
            }
            int n = atts.getLength();
            String[] names = n == 0 ? NONE : new String[n];
            String[] values = n == 0 ? NONE : new String[n];
            for (int i = 0; i < n; i++) {
                names[i] = atts.getURI(i).isEmpty() ? atts.getLocalName(i) : "{" + atts.getURI(i) + "}"
                        + atts.getLocalName(i);
                values[i] = atts.getValue(i);
            }
            out.add(new RawElement(localName, parent, names, values, new PolicyModel.Loc(pos.line(), pos.column())));
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            stack.remove(stack.size() - 1);
        }
    }
}
