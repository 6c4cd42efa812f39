/*
 * io.h -- HistFactory XML + ROOT files: the formats beside pyhf JSON (see docs/io.md).
 *
 * The ROOT side knows only what HistFactory needs: 1-D histograms (TH1D/F/I/S/C) in a directory tree,
 * read with zlib, LZ4 or ZSTD compression or none, small or big headers; written as TH1D with zlib.
 * The XML side turns a driver XML (and its channel XMLs) into a pyhf workspace tree and back, with
 * pyhf's readxml/writexml semantics. HS3 JSON is read into and written from the same tree.
 */
#ifndef HFX_IO_H
#define HFX_IO_H

#include "hfx-impl.h"

#include <jansson.h>

/* An open ROOT file (reading). */
struct hfx__root;

enum hfx_status hfx__root_open(const char * path, struct hfx__root ** out, struct hfx_error * err);
/* The same from memory (the fuzz harness); buf must outlive the handle. */
enum hfx_status hfx__root_open_memory(const unsigned char * buf, size_t len, const char * name, struct hfx__root ** out,
                                      struct hfx_error * err);
void            hfx__root_close(struct hfx__root * f);
/* True when "a/b/h" names a key (highest cycle) in the file. */
bool            hfx__root_has(struct hfx__root * f, const char * path);
/* Bin contents and errors of the 1-D histogram at path (directories separated by '/'), in-range bins
 * only; errors are sqrt(fSumw2), or sqrt(contents) when fSumw2 is empty (as uproot and pyhf). *values
 * and *errors are malloc'd. */
enum hfx_status hfx__root_read_hist(struct hfx__root * f, const char * path, double ** values, double ** errors,
                                    size_t * n_bins, struct hfx_error * err);

/* A ROOT file being written: TH1D histograms in the top directory, zlib-compressed. */
struct hfx__root_writer;

enum hfx_status hfx__root_writer_open(const char * path, struct hfx__root_writer ** out, struct hfx_error * err);
/* Adds a TH1D with n bins on [0, n], contents values and sumw2 = errors^2 (errors may be NULL: then
 * fSumw2 is left empty, as uproot writes a plain array). Duplicate names are an error. */
enum hfx_status hfx__root_writer_add_th1d(struct hfx__root_writer * w, const char * name, const double * values,
                                          const double * errors, size_t n, struct hfx_error * err);
/* Writes the key list, streamer record, free list and header; frees w in any case. */
enum hfx_status hfx__root_writer_close(struct hfx__root_writer * w, struct hfx_error * err);

/* The pyhf workspace tree of a driver XML: file paths in the XML are first mapped through mounts
 * (hfx_workspace_load_xml_mounted; n_mounts may be 0), then resolve against basedir (pyhf's --basedir)
 * when given, else against the working directory and, when not found there, the driver's directory.
 * *out is a new reference. */
enum hfx_status hfx__xml_read_workspace(const char * driver, const char * basedir, const struct hfx_xml_mount * mounts,
                                        size_t n_mounts, json_t ** out, struct hfx_error * err);
/* Channel/driver XML parsing from memory (the fuzz harness): reads a driver or channel document and
 * returns what it could build, or an error; ROOT files are not opened (histograms come out empty). */
enum hfx_status hfx__xml_check_memory(const char * buf, size_t len, struct hfx_error * err);

/* pyhf's json2xml layout under dir (see hfx_workspace_write_xml). */
enum hfx_status hfx__xml_write_workspace(const json_t * ws, const char * dir, struct hfx_error * err);

/* HS3 (HEP Statistics Serialization Standard) JSON of a HistFactory model, as ROOT's
 * RooJSONFactoryWSTool reads and writes it (hs3-read.c, hs3-write.c; docs/io.md):
 * - hfx__hs3_is: whether a JSON document is HS3 (an object with "distributions", no "channels");
 * - hfx__hs3_read: the pyhf workspace tree of an HS3 document (*out a new reference); errors carry
 *   the JSON pointer of the culprit in the HS3 document;
 * - hfx__hs3_write: the HS3 document of a pyhf workspace tree (validated first; source names it in
 *   messages), for opts' measurement and interpolation codes (opts may be NULL). *out is new. */
bool            hfx__hs3_is(const json_t * root);
enum hfx_status hfx__hs3_read(const json_t * hs3, json_t ** out, struct hfx_error * err);
enum hfx_status hfx__hs3_write(json_t * ws, const char * source, const struct hfx_model_options * opts, json_t ** out,
                               struct hfx_error * err);

/* True when the file's first non-blank byte is '<'. */
bool hfx__is_xml_file(const char * path);

#endif
