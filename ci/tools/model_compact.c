/* model_compact.c: build-time tool that writes the Kinesis API model (service-2.json) without
 * what the simulator never reads: documentation text, operations' http/errors/staticContextParams
 * and members' contextParam. The result (about a sixth of the original) is what the Makefile
 * embeds with ci/tools/embed, so kinesis-sim parses 30 KB instead of 187 KB at start-up
 * (validate.c builds its tables from it; cbor_codec.c reads shapes and operation inputs/outputs).
 * Keys are removed only where the model puts them, never by name at any depth, so a member that
 * happened to be called "errors" would survive. Order is kept (validation reports in model order).
 * Usage: model_compact IN.json > OUT.json */
#include <jansson.h>
#include <stdio.h>

static void drop(json_t *obj, const char *const *keys)
{
    for (; *keys; keys++)
        json_object_del(obj, *keys);
}

int main(int argc, char **argv)
{
    static const char *const top_keys[] = {"documentation", NULL};
    static const char *const op_keys[] = {"documentation", "documentationUrl",    "http",
                                          "errors",        "staticContextParams", NULL};
    static const char *const shape_keys[] = {"documentation", NULL};
    static const char *const ref_keys[] = {"documentation", "contextParam", NULL};
    static const char *const ref_names[] = {"member", "key", "value", NULL};

    if (argc != 2) {
        fprintf(stderr, "usage: model_compact IN.json > OUT.json\n");
        return 2;
    }
    json_error_t jerr;
    json_t *root = json_load_file(argv[1], 0, &jerr);
    if (!root) {
        fprintf(stderr, "model_compact: %s:%d: %s\n", argv[1], jerr.line, jerr.text);
        return 1;
    }
    json_t *ops = json_object_get(root, "operations");
    json_t *shapes = json_object_get(root, "shapes");
    if (!json_is_object(root) || !json_is_object(ops) || !json_is_object(shapes)) {
        fprintf(stderr, "model_compact: %s has no operations or shapes\n", argv[1]);
        json_decref(root);
        return 1;
    }
    drop(root, top_keys);
    const char *name;
    json_t *v;
    json_object_foreach(ops, name, v)
    {
        if (json_is_object(v))
            drop(v, op_keys);
        /* input/output are refs too ({"shape": ..., "documentation": ...}) */
        for (const char *const *side = (const char *const[]){"input", "output", NULL}; *side; side++)
            if (json_is_object(json_object_get(v, *side)))
                drop(json_object_get(v, *side), ref_keys);
    }
    json_object_foreach(shapes, name, v)
    {
        if (!json_is_object(v))
            continue;
        drop(v, shape_keys);
        for (const char *const *r = ref_names; *r; r++)
            if (json_is_object(json_object_get(v, *r)))
                drop(json_object_get(v, *r), ref_keys);
        const char *mname;
        json_t *mv;
        json_t *members = json_object_get(v, "members");
        json_object_foreach(members, mname, mv)
        {
            if (json_is_object(mv))
                drop(mv, ref_keys);
        }
    }
    int rc = json_dumpf(root, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 && fflush(stdout) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "model_compact: cannot write the output\n");
    json_decref(root);
    return rc;
}
