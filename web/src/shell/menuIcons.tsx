// Only the icons menus name; importing all of @ant-design/icons would bloat the bundle.
import {
  AppstoreOutlined, ExperimentOutlined, TeamOutlined, SafetyCertificateOutlined, DatabaseOutlined,
  SettingOutlined, ControlOutlined, ShoppingCartOutlined, ToolOutlined, InboxOutlined, FileTextOutlined, BarChartOutlined,
} from '@ant-design/icons';
import type { ReactNode } from 'react';

const icons: Record<string, ReactNode> = {
  team: <TeamOutlined />, experiment: <ExperimentOutlined />, safety: <SafetyCertificateOutlined />,
  'safety-certificate': <SafetyCertificateOutlined />, database: <DatabaseOutlined />, setting: <SettingOutlined />,
  'shopping-cart': <ShoppingCartOutlined />, tool: <ToolOutlined />, inbox: <InboxOutlined />,
  'file-text': <FileTextOutlined />, 'bar-chart': <BarChartOutlined />, control: <ControlOutlined />,
};

export function menuIcon(name?: string): ReactNode {
  return (name && icons[name]) || <AppstoreOutlined />;
}
