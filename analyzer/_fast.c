/* The steps of ingestion that run for every message, every field and every date, in C.
 *
 * Each function does exactly what its Python original does (the byte searches of the mbox
 * split and of headers.header_block_end, headers.parse_header_block's regular-expression
 * pass, dates._parse_common_date), for the inputs it accepts; for any other input it says
 * so (None, or a call to the original), and the Python code decides. tests/test_fast.py
 * holds both to the same results on generated and real mail.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE /* memmem */
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* start and stop as bytes.find clamps them, for non-negative values */
static int
clamp(Py_ssize_t size, Py_ssize_t *start, Py_ssize_t *stop)
{
    if (*start < 0 || *stop < 0) {
        PyErr_SetString(PyExc_ValueError, "start and stop must not be negative");
        return -1;
    }
    if (*stop > size)
        *stop = size;
    return 0;
}

PyDoc_STRVAR(find_doc,
"find(data, needle, start, stop, /)\n--\n\n"
"``data.find(needle, start, stop)`` for non-negative bounds, with the C library's\n"
"memmem: a few times faster than bytes.find for the mbox split's ``\\nFrom ``.");

static PyObject *
find(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data, needle;
    Py_ssize_t start, stop, found = -1;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "find takes data, needle, start and stop");
        return NULL;
    }
    start = PyLong_AsSsize_t(args[2]);
    stop = PyLong_AsSsize_t(args[3]);
    if ((start == -1 || stop == -1) && PyErr_Occurred())
        return NULL;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[1], &needle, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (clamp(data.len, &start, &stop) == 0) {
        if (start + needle.len <= stop) {
            const char *at = memmem((const char *)data.buf + start, stop - start, needle.buf,
                                    needle.len);
            if (at != NULL)
                found = at - (const char *)data.buf;
        }
    }
    PyBuffer_Release(&needle);
    PyBuffer_Release(&data);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(blank_line_doc,
"blank_line(data, start, stop, before=b'', /)\n--\n\n"
"Where the first empty line in ``data[start:stop]`` begins: the offset of the LF before\n"
"``\\n`` or ``\\r\\n``, the whole of it before ``stop``; -1 when there is none, and -2\n"
"when a line starting with ``before`` (not empty, no line end in it) comes first.\n"
"bytesearch.blank_line_in_python says the same with bytes.find.");

static PyObject *
blank_line(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view, before = {0};
    Py_ssize_t start, stop, found = -1;
    if (nargs != 3 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "blank_line takes data, start, stop and before");
        return NULL;
    }
    start = PyLong_AsSsize_t(args[1]);
    stop = PyLong_AsSsize_t(args[2]);
    if ((start == -1 || stop == -1) && PyErr_Occurred())
        return NULL;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (nargs == 4 && PyObject_GetBuffer(args[3], &before, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (clamp(view.len, &start, &stop) < 0)
        goto done;
    const char *text = view.buf;
    Py_ssize_t at = start;
    while (at < stop) {
        const char *newline = memchr(text + at, '\n', stop - at);
        if (newline == NULL)
            break;
        at = newline - text;
        if (at + 2 <= stop && text[at + 1] == '\n') {
            found = at;
            break;
        }
        if (at + 3 <= stop && text[at + 1] == '\r' && text[at + 2] == '\n') {
            found = at;
            break;
        }
        if (before.len > 0 && at + 1 + before.len <= stop &&
            memcmp(text + at + 1, before.buf, before.len) == 0) {
            found = -2;
            break;
        }
        at++;
    }
done:
    if (nargs == 4)
        PyBuffer_Release(&before);
    PyBuffer_Release(&view);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(found);
}

/* What str.strip() and the regular expressions' \s take, in ASCII. */
static int
is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int
is_name_char(unsigned char c)
{
    /* [!-9;-~]: printable ASCII but the colon */
    return c >= '!' && c <= '~' && c != ':';
}

/* One field's value from its unfolded bytes: ASCII values are stripped here, others are
 * decoded as UTF-8 and stripped by str.strip. NULL with no error set: the value is no
 * valid UTF-8, which the Python path decodes otherwise. */
static PyObject *
field_value(const char *bytes, Py_ssize_t size, int ascii)
{
    if (ascii) {
        Py_ssize_t start = 0, end = size;
        while (start < end && is_space((unsigned char)bytes[start]))
            start++;
        while (end > start && is_space((unsigned char)bytes[end - 1]))
            end--;
        return PyUnicode_DecodeASCII(bytes + start, end - start, "strict");
    }
    PyObject *decoded = PyUnicode_DecodeUTF8(bytes, size, "strict");
    if (decoded == NULL) {
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
            PyErr_Clear();
        return NULL;
    }
    PyObject *stripped = PyObject_CallMethod(decoded, "strip", NULL);
    Py_DECREF(decoded);
    return stripped;
}

static int
append_field(PyObject *fields, PyObject *by_name, PyObject *name, PyObject *value)
{
    PyObject *pair = PyTuple_Pack(2, name, value);
    if (pair == NULL)
        return -1;
    int failed = PyList_Append(fields, pair);
    Py_DECREF(pair);
    if (failed)
        return -1;
    PyObject *values = PyDict_GetItemWithError(by_name, name); /* borrowed */
    if (values != NULL)
        return PyList_Append(values, value);
    if (PyErr_Occurred())
        return -1;
    values = PyList_New(1);
    if (values == NULL)
        return -1;
    Py_INCREF(value);
    PyList_SET_ITEM(values, 0, value);
    failed = PyDict_SetItem(by_name, name, values);
    Py_DECREF(values);
    return failed;
}

PyDoc_STRVAR(split_fields_doc,
"split_fields(block, max_chars, /)\n--\n\n"
"``(fields, by_name)`` of a header block whose every line is a field or a continuation\n"
"line, each value unfolded, stripped, under ``max_chars`` and valid UTF-8; None for any\n"
"other block (the Python path reads it and says what is wrong).");

static PyObject *
split_fields(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "split_fields takes a block and a length");
        return NULL;
    }
    Py_ssize_t max_chars = PyLong_AsSsize_t(args[1]);
    if (max_chars == -1 && PyErr_Occurred())
        return NULL;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const char *text = view.buf;
    Py_ssize_t size = view.len;

    PyObject *fields = PyList_New(0);
    PyObject *by_name = PyDict_New();
    char *value = NULL; /* the unfolded value being built */
    Py_ssize_t value_capacity = 0;
    if (fields == NULL || by_name == NULL)
        goto error;

    Py_ssize_t position = 0;
    while (position < size) {
        /* a field line: NAME [ \t]* ":" */
        Py_ssize_t line_start = position;
        Py_ssize_t name_end = position;
        while (name_end < size && is_name_char((unsigned char)text[name_end]))
            name_end++;
        if (name_end == position)
            goto other; /* blank, continuation without a field, or no name */
        Py_ssize_t colon = name_end;
        while (colon < size && (text[colon] == ' ' || text[colon] == '\t'))
            colon++;
        if (colon >= size || text[colon] != ':')
            goto other;

        /* the value: the rest of the line and every continuation line, joined where
         * "\r\n" or "\n" is dropped, as the Python path's replace calls do */
        Py_ssize_t value_size = 0;
        int ascii = 1;
        Py_ssize_t line = colon + 1;
        for (;;) {
            const char *newline = memchr(text + line, '\n', size - line);
            Py_ssize_t line_end = newline ? newline - text : size;
            Py_ssize_t keep = line_end - line;
            int continued = line_end + 1 < size &&
                            (text[line_end + 1] == ' ' || text[line_end + 1] == '\t');
            if (continued && keep > 0 && text[line_end - 1] == '\r')
                keep--;
            if (value_size + keep > value_capacity) {
                Py_ssize_t wanted = (value_size + keep) * 2 + 64;
                char *grown = PyMem_Realloc(value, wanted);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto error;
                }
                value = grown;
                value_capacity = wanted;
            }
            for (Py_ssize_t i = 0; i < keep; i++) {
                unsigned char c = (unsigned char)text[line + i];
                ascii &= c < 0x80;
                value[value_size + i] = (char)c;
            }
            value_size += keep;
            position = line_end + 1; /* past the newline, or past the end */
            if (!continued)
                break;
            line = line_end + 1;
        }
        if (value_size > max_chars)
            goto other; /* the Python path cuts it and says so */

        char lowered[256];
        Py_ssize_t length = name_end - line_start;
        if (length > (Py_ssize_t)sizeof(lowered))
            goto other; /* a name this long is garbage: the Python path judges it */
        for (Py_ssize_t i = 0; i < length; i++) {
            char c = text[line_start + i];
            lowered[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        PyObject *name = PyUnicode_DecodeASCII(lowered, length, "strict");
        if (name == NULL)
            goto error;
        PyObject *decoded = field_value(value, value_size, ascii);
        if (decoded == NULL) {
            Py_DECREF(name);
            if (PyErr_Occurred())
                goto error;
            goto other;
        }
        if (!ascii && PyUnicode_GET_LENGTH(decoded) > max_chars) {
            Py_DECREF(name);
            Py_DECREF(decoded);
            goto other;
        }
        int failed = append_field(fields, by_name, name, decoded);
        Py_DECREF(name);
        Py_DECREF(decoded);
        if (failed)
            goto error;
    }
    PyMem_Free(value);
    PyBuffer_Release(&view);
    PyObject *result = PyTuple_Pack(2, fields, by_name);
    Py_DECREF(fields);
    Py_DECREF(by_name);
    return result;

other:
    PyMem_Free(value);
    PyBuffer_Release(&view);
    Py_XDECREF(fields);
    Py_XDECREF(by_name);
    Py_RETURN_NONE;

error:
    PyMem_Free(value);
    PyBuffer_Release(&view);
    Py_XDECREF(fields);
    Py_XDECREF(by_name);
    return NULL;
}

/* Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm), as dates.py. */
static int64_t
days_from_civil(int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* Digits at text[*at], at least `least` and at most `most` of them, all of the run;
 * -1 when the run is shorter or longer. */
static int
read_number(const char *text, Py_ssize_t size, Py_ssize_t *at, int least, int most)
{
    int value = 0, count = 0;
    while (*at < size && text[*at] >= '0' && text[*at] <= '9') {
        if (++count > most)
            return -1;
        value = value * 10 + (text[*at] - '0');
        (*at)++;
    }
    return count < least ? -1 : value;
}

static int
skip_spaces(const char *text, Py_ssize_t size, Py_ssize_t *at)
{
    Py_ssize_t from = *at;
    while (*at < size && is_space((unsigned char)text[*at]))
        (*at)++;
    return *at > from;
}

static int
is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static const char MONTHS[] = "janfebmaraprmayjunjulaugsepoctnovdec";
static const double EARLIEST = 0.0, LATEST = 4102444800.0; /* as dates.py */

PyDoc_STRVAR(common_date_doc,
"common_date(value, /)\n--\n\n"
"dates._parse_common_date in C: ``(timestamp, offset)`` for the date shape nearly every\n"
"client writes, ``(None, None)`` for such a date out of range, None for any other text.\n"
"Text that is not ASCII goes to the Python function.");

static PyObject *
common_date(PyObject *Py_UNUSED(module), PyObject *value)
{
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "common_date takes a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(value)) {
        PyObject *dates = PyImport_ImportModule("analyzer.extract.dates");
        if (dates == NULL)
            return NULL;
        PyObject *result = PyObject_CallMethod(dates, "_parse_common_date", "O", value);
        Py_DECREF(dates);
        return result;
    }
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t size = PyUnicode_GET_LENGTH(value), at = 0;
    while (size > 0 && is_space((unsigned char)text[size - 1]))
        size--; /* value.strip() */
    skip_spaces(text, size, &at);

    /* (?:[A-Za-z]{3},\s*)? */
    if (at + 4 <= size && is_letter(text[at]) && is_letter(text[at + 1]) &&
        is_letter(text[at + 2]) && text[at + 3] == ',') {
        at += 4;
        skip_spaces(text, size, &at);
    }
    int day = read_number(text, size, &at, 1, 2);
    if (day < 0 || !skip_spaces(text, size, &at))
        Py_RETURN_NONE;
    if (at + 3 > size || !is_letter(text[at]) || !is_letter(text[at + 1]) ||
        !is_letter(text[at + 2]))
        Py_RETURN_NONE;
    char month_name[3];
    for (int i = 0; i < 3; i++)
        month_name[i] = (char)(text[at + i] | 0x20);
    at += 3;
    if (!skip_spaces(text, size, &at))
        Py_RETURN_NONE;
    int year = read_number(text, size, &at, 4, 4);
    if (year < 0 || !skip_spaces(text, size, &at))
        Py_RETURN_NONE;
    int hour = read_number(text, size, &at, 1, 2);
    if (hour < 0 || at >= size || text[at] != ':')
        Py_RETURN_NONE;
    at++;
    int minute = read_number(text, size, &at, 2, 2);
    if (minute < 0)
        Py_RETURN_NONE;
    int second = 0;
    if (at < size && text[at] == ':') {
        at++;
        second = read_number(text, size, &at, 2, 2);
        if (second < 0)
            Py_RETURN_NONE;
    }
    if (!skip_spaces(text, size, &at) || at >= size || (text[at] != '+' && text[at] != '-'))
        Py_RETURN_NONE;
    char sign = text[at++];
    int zone = read_number(text, size, &at, 4, 4);
    /* then white space or the end: read_number took every digit there was */
    if (zone < 0 || (at < size && !is_space((unsigned char)text[at])))
        Py_RETURN_NONE;

    int month = 0;
    for (int i = 0; i < 12; i++)
        if (memcmp(MONTHS + 3 * i, month_name, 3) == 0)
            month = i + 1;
    if (month == 0 || day < 1 || day > 31 || hour >= 24 || minute >= 60 || second > 60)
        Py_RETURN_NONE;
    int64_t local = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                    second;
    int minutes = (zone / 100) * 60 + zone % 100;
    if (sign == '-')
        minutes = -minutes;
    double timestamp = (double)local - (double)minutes * 60;
    if (!(EARLIEST <= timestamp && timestamp < LATEST))
        return Py_BuildValue("(OO)", Py_None, Py_None);
    if ((minutes == 0 && sign == '-') || minutes > 18 * 60 || minutes < -18 * 60)
        return Py_BuildValue("(dO)", timestamp, Py_None);
    return Py_BuildValue("(di)", timestamp, minutes);
}

static PyMethodDef methods[] = {
    {"find", (PyCFunction)(void (*)(void))find, METH_FASTCALL, find_doc},
    {"blank_line", (PyCFunction)(void (*)(void))blank_line, METH_FASTCALL, blank_line_doc},
    {"split_fields", (PyCFunction)(void (*)(void))split_fields, METH_FASTCALL, split_fields_doc},
    {"common_date", common_date, METH_O, common_date_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "analyzer._fast",
    "The mbox split's searches, header splitting and date parsing in C (see _fast.c).",
    0,
    methods,
};

PyMODINIT_FUNC
PyInit__fast(void)
{
    return PyModule_Create(&module);
}
