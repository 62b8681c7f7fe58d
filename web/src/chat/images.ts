// Text-to-image requests to the gateway's OpenAI-compatible
// /v1/images/generations, with the diffusion settings most image runtimes
// take (negative prompt, guidance scale).
export interface ImageSettings {
  prompt: string;
  negative_prompt: string;
  size: string;
  guidance_scale: number;
  n: number;
}

export const imageSizes = ['512x512', '768x768', '1024x1024', '1024x768', '768x1024'];

export const defaultImageSettings: Omit<ImageSettings, 'prompt'> = { negative_prompt: '', size: '1024x1024', guidance_scale: 7.5, n: 1 };

export interface GeneratedImage {
  src: string; // data: URI or URL
  revised_prompt?: string;
}

export function imageRequestBody(model: string, s: ImageSettings) {
  return {
    model,
    prompt: s.prompt,
    ...(s.negative_prompt.trim() ? { negative_prompt: s.negative_prompt } : {}),
    size: s.size,
    guidance_scale: s.guidance_scale,
    n: s.n,
    response_format: 'b64_json',
  };
}

interface ImageResponse {
  data?: { b64_json?: string; url?: string; revised_prompt?: string }[];
  error?: { message?: string };
}

export async function generateImages(apiKey: string, body: ReturnType<typeof imageRequestBody>, signal?: AbortSignal): Promise<GeneratedImage[]> {
  const resp = await fetch('/v1/images/generations', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
    signal,
  });
  let parsed: ImageResponse = {};
  try {
    parsed = (await resp.json()) as ImageResponse;
  } catch {
    // not JSON: the status line below says what happened
  }
  if (!resp.ok) throw new Error(parsed.error?.message ?? `${resp.status} ${resp.statusText}`);
  return (parsed.data ?? [])
    .map((d) => ({ src: d.b64_json ? `data:image/png;base64,${d.b64_json}` : (d.url ?? ''), revised_prompt: d.revised_prompt }))
    .filter((d) => d.src);
}
