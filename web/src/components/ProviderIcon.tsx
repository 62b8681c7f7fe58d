// A model's or provider's icon, falling back to its initial on a colour
// derived from the name when there is no icon or it fails to load.
import { useState } from 'react';
import { Avatar } from 'antd';

const palette = ['#1668dc', '#13a8a8', '#722ed1', '#d4380d', '#389e0d', '#c41d7f', '#d48806', '#2f54eb'];

function colour(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return palette[h % palette.length];
}

export function ProviderIcon({ src, name, size = 40 }: { src?: string; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  if (src && !failed) {
    return (
      <Avatar
        shape="square"
        size={size}
        src={<img src={src} alt={name} loading="lazy" onError={() => setFailed(true)} />}
        style={{ background: '#fff', border: '1px solid #f0f0f0', flex: 'none' }}
      />
    );
  }
  return (
    <Avatar shape="square" size={size} style={{ background: colour(name), flex: 'none' }} aria-label={name}>
      {(name[0] ?? '?').toUpperCase()}
    </Avatar>
  );
}
