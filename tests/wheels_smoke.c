/* Runs a shipped wheel's libllama the way its llama_cpp does: the CPU backends are loaded from the
 * wheel's lib/ folder, then a GGUF model answers a ChatML prompt with a few greedy tokens.
 * tests/test_wheels.py builds it with Debian's musl-gcc (x86-64) or zig (aarch64, run under qemu).
 *
 *   wheels_smoke LIBDIR MODEL TOKENS    prints the generated text; the CPU level goes to stderr
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

int main(int argc, char ** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s LIBDIR MODEL TOKENS\n", argv[0]);
        return 2;
    }
    ggml_backend_load_all_from_path(argv[1]);
    llama_backend_init();

    struct llama_model * model = llama_model_load_from_file(argv[2], llama_model_default_params());
    if (model == NULL) {
        fprintf(stderr, "smoke: the model did not load\n");
        return 3;
    }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    struct llama_context_params cparams = llama_context_default_params();
    cparams.n_ctx = 512;
    cparams.n_batch = 512;
    cparams.n_threads = 2;
    cparams.n_threads_batch = 2;
    struct llama_context * ctx = llama_init_from_model(model, cparams);
    if (ctx == NULL) {
        fprintf(stderr, "smoke: no context\n");
        return 4;
    }

    const char * prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";
    llama_token tokens[256];
    int n_prompt = llama_tokenize(vocab, prompt, (int32_t) strlen(prompt), tokens, 256, true, true);
    if (n_prompt <= 0) {
        fprintf(stderr, "smoke: tokenize failed\n");
        return 5;
    }
    struct llama_sampler * sampler = llama_sampler_init_greedy();
    struct llama_batch batch = llama_batch_get_one(tokens, n_prompt);
    llama_token next = 0;
    for (int i = 0; i < atoi(argv[3]); i++) {
        if (llama_decode(ctx, batch) != 0) {
            fprintf(stderr, "smoke: decode failed\n");
            return 6;
        }
        next = llama_sampler_sample(sampler, ctx, -1);
        if (llama_vocab_is_eog(vocab, next)) {
            break;
        }
        char piece[128];
        int length = llama_token_to_piece(vocab, next, piece, sizeof piece, 0, true);
        fwrite(piece, 1, length > 0 ? (size_t) length : 0, stdout);
        fflush(stdout);
        batch = llama_batch_get_one(&next, 1);
    }
    printf("\n");
    llama_sampler_free(sampler);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
