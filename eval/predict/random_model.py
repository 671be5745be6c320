"""A randomly initialised LLaVA model saved like a hub checkpoint.

No weights can be downloaded in CI or on the benchmark machine, so tests and the benchmark build
a real architecture from its config, with a small byte-level BPE tokenizer trained on the spot.
The saved folder loads through `AutoProcessor` / `AutoModelForImageTextToText` like any model.

LLaVA rather than Qwen2-VL: transformers 5.23 cannot construct a Qwen2-VL processor without
torchvision (its video processor needs it), and installing torchvision pulls another torch build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL_TOKENS: tuple[str, ...] = ("<s>", "</s>", "<pad>", "<image>")

#: The llava-1.5 conversation format ("USER: <image>\n... ASSISTANT:"), with list contents.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}USER: {% else %}ASSISTANT: {% endif %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<image>\n"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{% if message['role'] == 'user' %} {% else %}</s>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)

#: Shapes of a model small enough for CPU tests (a 28-px image becomes 4 image tokens). The large
#: initial weights make its replies depend on the prompt, so tests comparing replies can fail.
TINY_TEXT: dict[str, Any] = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64,
                             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                             "max_position_embeddings": 4096, "initializer_range": 0.5}
TINY_VISION: dict[str, Any] = {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64,
                               "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 28,
                               "patch_size": 14, "projection_dim": 32, "initializer_range": 0.5}

#: llava-hf/llava-1.5-7b-hf's published config values: Llama-2-7B + CLIP ViT-L/14 at 336 px.
LLAVA_15_7B_TEXT: dict[str, Any] = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
                                    "num_hidden_layers": 32, "num_attention_heads": 32,
                                    "num_key_value_heads": 32, "max_position_embeddings": 4096,
                                    "rms_norm_eps": 1e-5, "vocab_size": 32064}
LLAVA_15_7B_VISION: dict[str, Any] = {"model_type": "clip_vision_model", "hidden_size": 1024,
                                      "intermediate_size": 4096, "num_hidden_layers": 24,
                                      "num_attention_heads": 16, "image_size": 336, "patch_size": 14,
                                      "projection_dim": 768}

_CORPUS = (
    "You are an industrial inspector who checks products by images. You should judge whether there is a "
    "defect in the query image and answer the questions about it. Answer with the option's letter from the "
    "given choices directly. Following is/are 1 image of normal sample, which can be used as a template to "
    "compare the image being queried. Following is the query image: Following is the question list: "
    "Following is the domain knowledge which contains some type of defect and the normal object "
    "characteristics: Question: Is there any defect in the object? A. Yes. B. No. C. D. E. "
    "There is a defect in the object. What is the type of the defect? Where is the defect? "
    "What is the appearance of the defect? What is the effect of the defect? Top left. Center. Bottom right."
)


def _tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([_CORPUS] * 4, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   extra_special_tokens={"image_token": "<image>"})


def build_random_vlm(out_dir: str | Path, *, text: dict[str, Any] = TINY_TEXT,
                     vision: dict[str, Any] = TINY_VISION, seed: int = 0, save_weights: bool = True,
                     device: str = "cpu", dtype: Any = None):
    """Save tokenizer, processor and config (and, if `save_weights`, random weights) to `out_dir`.

    Returns the model with random weights, created directly on `device` (a 7B model is not built
    on the CPU first) in `dtype` (default float32).
    """
    import torch
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tokenizer = _tokenizer(vocab_size=400)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    text = {"vocab_size": len(tokenizer), **text, "bos_token_id": ids["<s>"], "eos_token_id": ids["</s>"],
            "pad_token_id": ids["<pad>"]}
    config = LlavaConfig(text_config=text, vision_config=vision, image_token_index=ids["<image>"],
                         image_seq_length=(vision["image_size"] // vision["patch_size"]) ** 2)
    side = vision["image_size"]
    image_processor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE,
                               patch_size=vision["patch_size"], vision_feature_select_strategy="default",
                               num_additional_image_tokens=1)
    torch.manual_seed(seed)
    with torch.device(device):
        model = LlavaForConditionalGeneration._from_config(config, dtype=dtype or torch.float32)
    model.generation_config.eos_token_id = ids["</s>"]
    model.generation_config.pad_token_id = ids["<pad>"]
    processor.save_pretrained(out_dir)
    if save_weights:
        model.save_pretrained(out_dir)
    else:
        config.save_pretrained(out_dir)
    return model
