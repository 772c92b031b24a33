"""Imagen on Vertex: `publishers/google/models/{m}:predict`.

Generation: `instances[{prompt}]`, `parameters{sampleCount, aspectRatio, negativePrompt, seed,
personGeneration, safetySetting, addWatermark, enhancePrompt, outputOptions{mimeType}}` (the keys
google-genai's generate_images uses). Edits (imagen-3.0-capability-001): `instances[{prompt,
referenceImages: [RAW image, MASK image with maskImageConfig]}]`, `parameters{editMode, sampleCount}`.
Answer: `predictions[{bytesBase64Encoded, mimeType, prompt?, raiFilteredReason?}]` -> OpenAI images.
"""

from __future__ import annotations

from routing.families import media
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.openai_types import invalid

# OpenAI-ish snake_case extras -> Imagen parameter names.
EXTRAS = {
    "negative_prompt": "negativePrompt",
    "seed": "seed",
    "person_generation": "personGeneration",
    "safety_setting": "safetySetting",
    "add_watermark": "addWatermark",
    "enhance_prompt": "enhancePrompt",
    "language": "language",
    "guidance_scale": "guidanceScale",
}
OUTPUT_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
EDIT_MODES = {
    "inpaint_insertion": "EDIT_MODE_INPAINT_INSERTION",
    "inpaint_removal": "EDIT_MODE_INPAINT_REMOVAL",
    "outpaint": "EDIT_MODE_OUTPAINT",
    "background_swap": "EDIT_MODE_BGSWAP",
}


def _parameters(request: Json) -> Json:
    media.check_b64_only(request)
    parameters: Json = {"sampleCount": media.count_of(request, maximum=4)}
    ratio = media.aspect_ratio(request, media.IMAGEN_RATIOS)
    if ratio:
        parameters["aspectRatio"] = ratio
    for source, name in EXTRAS.items():
        if request.get(source) is not None:
            parameters[name] = request[source]
    fmt = request.get("output_format")
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS:
            raise invalid("output_format", "must be png or jpeg")
        parameters["outputOptions"] = {"mimeType": OUTPUT_FORMATS[fmt]}
    return parameters


def images_body(request: Json) -> Json:
    return {"instances": [{"prompt": media.prompt_of(request)}], "parameters": _parameters(request)}


def edit_body(request: Json) -> Json:
    (mime, image), *rest = media.images_of(request)
    if rest:
        raise invalid("image", "Imagen edits one image at a time")
    mask = request.get("mask")
    mode = request.get("edit_mode", "inpaint_insertion" if mask is not None else "background_swap")
    if mode not in EDIT_MODES:
        raise invalid("edit_mode", f"must be one of {', '.join(EDIT_MODES)}")
    prompt = media.prompt_of(request, required=mode != "inpaint_removal")
    references: list[Json] = [{"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1,
                               "referenceImage": {"bytesBase64Encoded": image, "mimeType": mime}}]
    if mask is not None:
        mask_mime, mask_data = media.image_b64(mask, param="mask")
        references.append({"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2,
                           "referenceImage": {"bytesBase64Encoded": mask_data, "mimeType": mask_mime},
                           "maskImageConfig": {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.01}})
    else:
        references.append({"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2,
                           "maskImageConfig": {"maskMode": "MASK_MODE_BACKGROUND"}})
    parameters = _parameters(request)
    parameters.pop("aspectRatio", None)  # an edit keeps the source image's shape
    parameters["editMode"] = EDIT_MODES[mode]
    return {"instances": [{"prompt": prompt, "referenceImages": references}], "parameters": parameters}


def parse_body(body: Json) -> Json:
    items = []
    for prediction in body.get("predictions") or []:
        if not prediction.get("bytesBase64Encoded"):
            continue  # a filtered sample carries only raiFilteredReason
        item: Json = {"b64_json": prediction["bytesBase64Encoded"],
                      "mime_type": prediction.get("mimeType", "image/png")}
        if prediction.get("prompt"):
            item["revised_prompt"] = prediction["prompt"]
        items.append(item)
    out = media.images_response(items)
    filtered = [p["raiFilteredReason"] for p in body.get("predictions") or [] if p.get("raiFilteredReason")]
    if filtered:
        out["filtered_reasons"] = filtered
    return out


class ImagenAdapter(BaseAdapter):
    """imagen-* and imagegeneration@* models."""

    family = "imagen"
    capabilities = frozenset({"images", "image_edits"})

    def build_images(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(f"publishers/google/models/{target}:predict", images_body(request))

    def build_image_edit(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(f"publishers/google/models/{target}:predict", edit_body(request))

    def parse_images(self, body: Json, *, model: str) -> Json:
        return parse_body(body)
